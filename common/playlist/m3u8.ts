/**
 * M3U8 playlists (UTF-8 M3U with #EXTINF), as MPD, mpg123 and VLC read them. Paths are relative
 * to the library root, which is where the daemon's `file:` names start. Pure.
 */
import { sanitizeValue } from '../protocol/response.js';

/** One entry: a song's record, or only its name when the library no longer has it. */
export interface M3uEntry {
  file: string;
  duration?: number;
  title?: string;
  artist?: string;
}

/**
 * @example formatM3u8([{ file: 'A/01 x.mp3', title: 'x', artist: 'A', duration: 61.2, ... }])
 *   // '#EXTM3U\n#EXTINF:61,A - x\nA/01 x.mp3\n'
 */
export function formatM3u8(songs: readonly M3uEntry[]): string {
  const lines = ['#EXTM3U'];
  for (const song of songs) {
    if (song.duration === undefined) {
      lines.push(sanitizeValue(song.file));
      continue;
    }
    const name = song.title ? (song.artist ? `${song.artist} - ${song.title}` : song.title) : song.file;
    // A line break (CR alone too) in a tag or a name would end the entry for other readers.
    lines.push(`#EXTINF:${Math.round(song.duration)},${sanitizeValue(name)}`, sanitizeValue(song.file));
  }
  return `${lines.join('\n')}\n`;
}

/** The file names of a playlist, in order: every line that is not blank or a comment, `./` and a BOM dropped, `\` read as `/`. */
export function parseM3u8(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => line.replaceAll('\\', '/').replace(/^(\.\/)+/, ''));
}
