/**
 * Finding a song by what a client typed (PROTOCOL.md section 1): a song id, a path relative to
 * the library root, or a file name without its extension compared case-insensitively. Only
 * catalog keys are ever compared, so `..`, absolute paths, NUL or percent escapes simply match
 * nothing and all get the same `not_found`.
 */
import path from 'node:path';
import { ProtocolError } from '../../common/protocol/errors.js';
import { printable } from '../../common/protocol/response.js';
import type { CatalogSong } from './song.js';

export interface SongIndex {
  byId: Map<number, CatalogSong>;
  byPath: Map<string, CatalogSong>;
  /** Lower-cased file name, with and without its extension. */
  byName: Map<string, CatalogSong[]>;
}

export function buildIndex(songs: Iterable<CatalogSong>): SongIndex {
  const index: SongIndex = { byId: new Map(), byPath: new Map(), byName: new Map() };
  const addName = (key: string, song: CatalogSong): void => {
    const list = index.byName.get(key);
    if (list) list.push(song);
    else index.byName.set(key, [song]);
  };
  for (const song of songs) {
    index.byId.set(song.info.id, song);
    index.byPath.set(song.info.file, song);
    const base = path.posix.basename(song.info.file).toLowerCase();
    addName(base, song);
    const stem = base.slice(0, base.length - path.posix.extname(base).length);
    if (stem !== base) addName(stem, song);
  }
  return index;
}

/**
 * @throws ProtocolError not_found or ambiguous.
 * @example findSong(index, '01 morning ferry') // the song '01 Morning Ferry.mp3'
 */
export function findSong(index: SongIndex, name: string): CatalogSong {
  if (/^\d{1,15}$/.test(name)) {
    const byId = index.byId.get(Number(name));
    if (byId) return byId;
  }
  const byPath = index.byPath.get(name);
  if (byPath) return byPath;
  const matches = index.byName.get(name.toLowerCase()) ?? [];
  if (matches.length === 1) return matches[0] as CatalogSong;
  if (matches.length > 1) {
    const files = matches.slice(0, 5).map((s) => s.info.file).join(', ');
    throw new ProtocolError('ambiguous', `'${printable(name)}' matches ${matches.length} songs: ${files}; use the song id or path`);
  }
  throw new ProtocolError('not_found', `no song '${printable(name)}'`);
}
