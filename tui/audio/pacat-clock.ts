/**
 * PulseAudio's own account of a `pacat -v` stream: how much of it has been played. pacat prints
 * `Time: 1.234 sec; Latency: 40000 usec.` every 50 ms (the stream's playback position, which
 * PulseAudio interpolates between the device's reports), `Stream started.` when sound begins or
 * comes back after an underrun, and `Stream underrun.` when it ran dry.
 *
 * A model that drains by the wall clock cannot see what this sees: a stream that has not started
 * yet (pacat still connecting) or that stalled after an underrun. Sound written meanwhile would
 * sit in front of everything after it, a delay that never goes away; by this clock it is counted
 * as still waiting, and no more is written until it plays.
 */

/** Seconds played at the last report and when it came (ms, performance.now()). */
interface Report {
  seconds: number;
  at: number;
}

const LINE = /^Time: (\d+(?:\.\d+)?) sec; Latency: -?\d+ usec\.\s*$/;

export class PacatClock {
  private report: Report | undefined;
  private running = false;
  private partial = '';
  /** Underruns so far: the stream ran dry and waits for more (what is left of a block stays unplayed). */
  underruns = 0;

  /**
   * Takes a piece of pacat's stderr; returns the lines that are not the clock's (its messages,
   * among them why it failed).
   */
  take(chunk: string, now: number): string[] {
    // Time lines end in \r (pacat rewrites one terminal line), the others in \n.
    const lines = (this.partial + chunk).split(/[\r\n]/);
    this.partial = lines.pop() ?? '';
    const others: string[] = [];
    for (const raw of lines) {
      const line = raw.replace(/\x1b\[K/g, '').trim();
      const time = LINE.exec(line);
      if (time) this.report = { seconds: Number(time[1]), at: now };
      else if (line === 'Stream started.') this.running = true;
      else if (line === 'Stream underrun.') {
        this.running = false;
        this.underruns++;
      } else if (line !== '') others.push(line);
    }
    return others;
  }

  /**
   * Nothing played between the last report and `now` (the process was stopped): a report dated
   * when it stopped would run on from then once its stream starts, before its next report.
   */
  heldUntil(now: number): void {
    if (this.report && !this.running) this.report = { seconds: this.report.seconds, at: now };
  }

  /** Whether the stream plays (started, and not run dry since). */
  get playing(): boolean {
    return this.running;
  }

  /** Whether pacat has told its position at least once. */
  get known(): boolean {
    return this.report !== undefined;
  }

  /** Seconds played at the last report. */
  get reportedSeconds(): number {
    return this.report?.seconds ?? 0;
  }

  /** Seconds played by `now`: the last report, moved on by the wall clock while the stream plays. */
  playedSeconds(now: number): number {
    if (!this.report) return 0;
    return this.report.seconds + (this.running ? Math.max(0, now - this.report.at) / 1000 : 0);
  }
}
