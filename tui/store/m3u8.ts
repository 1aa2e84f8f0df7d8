/**
 * M3U8 playlists (UTF-8 M3U with #EXTINF), as MPD, mpg123 and VLC read them. Paths are relative
 * to the library root, which is where the daemon's `file:` names start. Pure.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import { sanitizeValue } from '../../common/protocol/response.js';

/**
 * @example formatM3u8([{ file: 'A/01 x.mp3', title: 'x', artist: 'A', duration: 61.2, ... }])
 *   // '#EXTM3U\n#EXTINF:61,A - x\nA/01 x.mp3\n'
 */
export function formatM3u8(songs: readonly SongInfo[]): string {
  const lines = ['#EXTM3U'];
  for (const song of songs) {
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
