/**
 * Finding a song by what a client typed (docs/protocol.md, Commands): a song id, a path relative to
 * the library root, or a file name without its extension compared case-insensitively. Only
 * catalog keys are ever compared, so `..`, absolute paths, NUL or percent escapes simply match
 * nothing and all get the same `not_found`. Names are compared in Unicode NFC: `Canção` typed
 * with a combining tilde (NFD, as macOS writes names) is the same song as with a precomposed one.
 */
import path from 'node:path';
import { ProtocolError } from '../../common/protocol/errors.js';
import { printable } from '../../common/protocol/response.js';
import type { CatalogSong } from './song.js';

export interface SongIndex {
  byId: Map<number, CatalogSong>;
  /** The path exactly as the catalog has it. */
  byPath: Map<string, CatalogSong>;
  /** The path in NFC: two files whose names differ only in normalization share a key. */
  byNormalPath: Map<string, CatalogSong[]>;
  /** Lower-cased file name in NFC, with and without its extension. */
  byName: Map<string, CatalogSong[]>;
}

const nfc = (text: string): string => text.normalize('NFC');

function add(map: Map<string, CatalogSong[]>, key: string, song: CatalogSong): void {
  const list = map.get(key);
  if (list) list.push(song);
  else map.set(key, [song]);
}

export function buildIndex(songs: Iterable<CatalogSong>): SongIndex {
  const index: SongIndex = { byId: new Map(), byPath: new Map(), byNormalPath: new Map(), byName: new Map() };
  for (const song of songs) {
    index.byId.set(song.info.id, song);
    index.byPath.set(song.info.file, song);
    add(index.byNormalPath, nfc(song.info.file), song);
    const base = nfc(path.posix.basename(song.info.file)).toLowerCase();
    add(index.byName, base, song);
    const stem = base.slice(0, base.length - path.posix.extname(base).length);
    if (stem !== base) add(index.byName, stem, song);
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
  const normal = nfc(name);
  const byNormalPath = index.byNormalPath.get(normal) ?? [];
  const matches = byNormalPath.length > 0 ? byNormalPath : (index.byName.get(normal.toLowerCase()) ?? []);
  if (matches.length === 1) return matches[0] as CatalogSong;
  if (matches.length > 1) {
    const files = matches
      .slice(0, 5)
      .map((s) => s.info.file)
      .join(', ');
    throw new ProtocolError(
      'ambiguous',
      `'${printable(name)}' matches ${matches.length} songs: ${files}; use the song id or path`,
    );
  }
  throw new ProtocolError('not_found', `no song '${printable(name)}'`);
}
