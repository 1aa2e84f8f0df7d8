/** Text helpers for the views: fitting text to a width, styled text, the progress bar, byte rates. Pure. */
import { BLOCK_SECONDS } from '../../common/limits.js';
import { clock } from '../../common/protocol/device-status.js';
import { sanitizeValue } from '../../common/protocol/response.js';
import { displayWidth, fit } from './text-width.js';

/** A piece of a line and the blessed colour it is shown in (none: plain). */
export type Span = readonly [text: string, style?: string];

/**
 * Text from outside (tags, file names, device names and statuses, the radio's metadata, messages)
 * as the screen may show it, whatever path it came by: what no client's screen may be sent (C0 and
 * C1 controls, a C1 CSI or OSC among them, line separators, bidi overrides: the daemon's own rule,
 * sanitizeValue) becomes a space, one for one, so widths hold; blessed's tag braces are escaped.
 * Every text a view shows goes through here.
 */
export const screenText = (text: string): string =>
  sanitizeValue(text).replace(/[{}]/g, (ch) => (ch === '{' ? '{open}' : '{close}'));

/**
 * A line of styled pieces cut to `width` columns (… marks a cut), then tagged: text is cut before
 * tags are added, so a cut never splits a tag (`online{/green-…` was one).
 *
 * @example styled([['streamd '], ['online', 'green-fg']], 10) // 'streamd {green-fg}o…{/green-fg}'
 */
export function styled(spans: readonly Span[], width: number): string {
  const plain = spans.map(([text]) => text).join('');
  const cut = [...fit(plain, width)];
  let at = 0;
  let out = '';
  for (const [text, style] of spans) {
    const length = [...text].length;
    const piece = cut.slice(at, at + length).join('');
    at += length;
    if (piece === '') continue;
    out += style ? `{${style}}${screenText(piece)}{/${style}}` : screenText(piece);
  }
  return out + screenText(cut.slice(at).join(''));
}

/**
 * `text` fitted to `width` as spans, the characters at `positions` (a search's matches) in `style`.
 *
 * @example markedSpans('Help', [0, 1], 4, 'yellow-fg') // [['He', 'yellow-fg'], ['lp']]
 */
export function markedSpans(text: string, positions: readonly number[], width: number, style: string): Span[] {
  const fitted = fit(text, width);
  if (positions.length === 0) return [[fitted]];
  const marked = new Set(positions);
  // Positions count UTF-16 units of `text`; a cut keeps a prefix of it, so they still match up to the '…'.
  const kept = displayWidth(text) <= width ? text.length : fitted.lastIndexOf('…');
  const spans: Array<[string, string | undefined]> = [];
  let at = 0;
  for (const ch of fitted) {
    const style_ = at < kept && marked.has(at) ? style : undefined;
    const last = spans[spans.length - 1];
    if (last && last[1] === style_) last[0] += ch;
    else spans.push([ch, style_]);
    at += ch.length;
  }
  return spans.map(([piece, how]) => (how ? [piece, how] : [piece]));
}

/**
 * The progress bar: played part, then blocks on disk, then blocks not yet fetched.
 *
 * @example progressBar(20, 60, 90, new Set([0, 1])) // '█████████████▒▒▒▒▒▒░'... (shape)
 */
export function progressBar(width: number, position: number, duration: number, cached: ReadonlySet<number>): string {
  if (duration <= 0) return '░'.repeat(Math.max(0, width)); // nothing known yet: nothing played
  let bar = '';
  for (let cell = 0; cell < width; cell++) {
    const t = ((cell + 0.5) / width) * duration;
    bar += t <= position ? '█' : cached.has(Math.floor(t / BLOCK_SECONDS)) ? '▒' : '░';
  }
  return bar;
}

export function rate(bytesPerSecond: number): string {
  if (bytesPerSecond < 1024) return `${Math.round(bytesPerSecond)} B/s`;
  if (bytesPerSecond < 1024 * 1024) return `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`;
  return `${(bytesPerSecond / 1024 / 1024).toFixed(1)} MiB/s`;
}

export { clock, displayWidth, fit };

/**
 * `text` in lines of at most `width` columns, broken at spaces (a word longer than a line is cut).
 *
 * @example wrapWords('pause or resume the song', 10) // ['pause or', 'resume the', 'song']
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const joined = line === '' ? word : `${line} ${word}`;
    if (displayWidth(joined) <= width) line = joined;
    else {
      if (line !== '') lines.push(line);
      line = displayWidth(word) <= width ? word : fit(word, width);
    }
  }
  lines.push(line);
  return lines;
}
