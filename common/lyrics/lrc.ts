/**
 * Lyrics as text: LRC (`[mm:ss.xx]` before each line, several stamps on one line for a repeated
 * chorus, `[offset:±ms]`, `<mm:ss.xx>` word stamps of "enhanced" LRC) or plain lines. Embedded
 * lyrics (ID3 USLT, Vorbis LYRICS, MP4 ©lyr) are often LRC too, so all lyrics go through here. Pure.
 */

export interface LyricLine {
  /** When the line starts, ms into the song; absent in plain lyrics. */
  ms?: number;
  text: string;
}

export interface Lyrics {
  /** Every line has a time, in order. */
  synced: boolean;
  lines: LyricLine[];
}

/** Bounds: lyrics longer than this are cut (a hostile file cannot fill the daemon or a screen). */
export const MAX_LYRIC_LINES = 5000;
export const MAX_LYRIC_LINE_CHARS = 500;

const STAMP = /\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]/y;
const TAG = /^\[([a-z]+):(.*)\]\s*$/i;
const WORD_STAMP = /<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>/g;

function stampMs(minutes: string, seconds: string, fraction: string | undefined): number {
  const part = fraction === undefined ? 0 : Number(fraction) * 10 ** (3 - fraction.length);
  return (Number(minutes) * 60 + Number(seconds)) * 1000 + part;
}

const clean = (text: string): string =>
  text
    .replace(WORD_STAMP, '')
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, MAX_LYRIC_LINE_CHARS);

/**
 * @example parseLyrics('[00:12.50]Hello\n[00:15.00][01:15.00]Chorus')
 *   // { synced: true, lines: [{ ms: 12500, text: 'Hello' }, { ms: 15000, text: 'Chorus' }, { ms: 75000, text: 'Chorus' }] }
 */
export function parseLyrics(text: string): Lyrics {
  const rows = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const timed: LyricLine[] = [];
  const plain: string[] = [];
  let offset = 0;
  for (const row of rows) {
    STAMP.lastIndex = 0;
    const stamps: number[] = [];
    let match: RegExpExecArray | null;
    let at = 0;
    const line = row.trimStart();
    while ((match = STAMP.exec(line)) !== null) {
      stamps.push(stampMs(match[1] as string, match[2] as string, match[3]));
      at = STAMP.lastIndex;
    }
    if (stamps.length > 0) {
      const words = clean(line.slice(at));
      for (const ms of stamps) timed.push({ ms, text: words });
      continue;
    }
    const tag = TAG.exec(line);
    if (tag) {
      if ((tag[1] as string).toLowerCase() === 'offset' && /^\s*[-+]?\d{1,7}\s*$/.test(tag[2] as string))
        offset = Number(tag[2]);
      continue; // [ar:...], [ti:...] and the like say nothing to sing
    }
    plain.push(clean(line));
  }
  if (timed.length > 0) {
    // A positive offset shows the lines sooner.
    const lines = timed
      .map((line) => ({ ms: Math.max(0, (line.ms as number) - offset), text: line.text }))
      .sort((a, b) => a.ms - b.ms)
      .slice(0, MAX_LYRIC_LINES);
    return { synced: true, lines };
  }
  while (plain.length > 0 && plain[plain.length - 1] === '') plain.pop();
  while (plain.length > 0 && plain[0] === '') plain.shift();
  return { synced: false, lines: plain.slice(0, MAX_LYRIC_LINES).map((line) => ({ text: line })) };
}

/** The index of the line being sung at `positionMs` (the last that has started), -1 before the first. */
export function currentLyricLine(lines: readonly LyricLine[], positionMs: number): number {
  let low = 0;
  let high = lines.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((lines[middle]?.ms ?? 0) <= positionMs) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}
