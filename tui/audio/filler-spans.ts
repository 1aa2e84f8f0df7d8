/**
 * Where, in what a sink has written to its device, there was no music: the stretches a voice
 * played over silence because the music had run out (between songs, a download behind). The
 * music's clock counts only music, so a song's position does not run ahead by the voice alone.
 * Offsets are bytes since the sink's last open or flush. Pure.
 */
export class FillerSpans {
  /** [start, end) of filler not wholly played yet, in order. */
  private spans: Array<[number, number]> = [];
  /** Filler wholly played (and forgotten). */
  private before = 0;
  /** All the filler written. */
  total = 0;

  add(start: number, end: number): void {
    if (end <= start) return;
    this.total += end - start;
    const last = this.spans.at(-1);
    if (last && last[1] === start) last[1] = end;
    else this.spans.push([start, end]);
  }

  /** Filler among the first `played` bytes; `played` does not go back (but for `truncate`). */
  within(played: number): number {
    let first = this.spans[0];
    while (first && first[1] <= played) {
      this.before += first[1] - first[0];
      this.spans.shift();
      first = this.spans[0];
    }
    return this.before + (first && first[0] < played ? played - first[0] : 0);
  }

  /** What was written from `end` on is gone (dropped unplayed). */
  truncate(end: number): void {
    while (this.spans.length > 0) {
      const last = this.spans.at(-1) as [number, number];
      if (last[1] <= end) break;
      this.total -= last[1] - Math.max(last[0], end);
      if (last[0] >= end) this.spans.pop();
      else last[1] = end;
    }
  }

  clear(): void {
    this.spans = [];
    this.before = 0;
    this.total = 0;
  }
}
