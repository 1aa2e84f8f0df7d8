/**
 * The catalog on disk (state dir): what the last scan found, so that a restart with no changes
 * only has to stat the files. Compact (blocks as tuples, paths not repeated) because a restart
 * parses it; written atomically; anything unreadable is simply a cold start.
 */
import path from 'node:path';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { SongInfo } from '../../common/protocol/records.js';
import { ANALYZER_VERSION } from './analyze.js';
import type { CatalogBlock, CatalogSong, FileStamp, MeasuredLoudness, TagsHold } from './song.js';
import type { LibraryRoot } from './walk.js';

export interface StoredCatalog {
  roots: readonly LibraryRoot[];
  nextId: number;
  songs: CatalogSong[];
}

/** offset, length, start, end, sha256 (empty until the block was first downloaded). */
type StoredBlock = [number, number, number, number, string];

interface StoredSong {
  info: SongInfo;
  /** Only when it is not its folder joined with `info.file` (a symlink inside the library). */
  path?: string;
  stamp: FileStamp;
  audioKey: string;
  blocks: StoredBlock[];
  /** Only when the daemon measured the song's loudness itself. */
  measured?: MeasuredLoudness;
  /** Only when the scan read all its tags (a catalog stored before: looked in when asked). */
  tagsHold?: TagsHold;
  /** Only when small (a catalog stored before: read from the file when asked). */
  decoderHeader?: string;
}

interface StoredFile {
  format: 2;
  analyzer: number;
  /** The music folder; several: each `name=dir`, one a line. */
  root: string;
  nextId: number;
  songs: StoredSong[];
}

/** Where a song is when it is where its name says (the walk joins names the same way). */
function defaultPath(roots: readonly LibraryRoot[], song: SongInfo): string {
  const root = roots.length === 1 ? roots[0] : roots.find((r) => song.file.startsWith(`${r.name}/`));
  if (!root) return '';
  return `${root.dir}${path.sep}${root.name ? song.file.slice(root.name.length + 1) : song.file}`;
}

/** The folders as the file keeps them: one as it was before there could be several. */
const rootsKey = (roots: readonly LibraryRoot[]): string =>
  roots.length === 1 ? (roots[0] as LibraryRoot).dir : roots.map((root) => `${root.name}=${root.dir}`).join('\n');

export async function loadStoredCatalog(
  file: string,
  roots: readonly LibraryRoot[],
): Promise<StoredCatalog | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as StoredFile;
    if (data.format !== 2 || data.root !== rootsKey(roots) || !Array.isArray(data.songs)) return undefined;
    // A catalog from an older analysis keeps its ids; a stamp that matches no file has every song analysed again.
    const stale = data.analyzer !== ANALYZER_VERSION;
    const songs = data.songs.map((song): CatalogSong => ({
      info: song.info,
      path: song.path ?? defaultPath(roots, song.info),
      stamp: stale ? { ...song.stamp, mtimeMs: -1 } : song.stamp,
      audioKey: song.audioKey ?? '',
      blocks: song.blocks.map(([offset, length, start, end, sha256], index): CatalogBlock => {
        const block: CatalogBlock = { index, offset, length, start, end };
        if (sha256) block.sha256 = sha256;
        return block;
      }),
      ...(song.measured ? { measured: song.measured } : {}),
      ...(song.tagsHold ? { tagsHold: song.tagsHold } : {}),
      ...(typeof song.decoderHeader === 'string' ? { decoderHeader: song.decoderHeader } : {}),
    }));
    return { roots, nextId: data.nextId, songs };
  } catch {
    return undefined;
  }
}

/** Songs stringified between two yields to the event loop: the whole of 3,000 songs at once is 15 ms. */
const SAVE_BATCH = 250;

export async function saveStoredCatalog(file: string, catalog: StoredCatalog): Promise<void> {
  const header: Omit<StoredFile, 'songs'> = {
    format: 2,
    analyzer: ANALYZER_VERSION,
    root: rootsKey(catalog.roots),
    nextId: catalog.nextId,
  };
  const parts: string[] = [];
  for (let from = 0; from < catalog.songs.length; from += SAVE_BATCH) {
    const batch = catalog.songs.slice(from, from + SAVE_BATCH).map((song): StoredSong => ({
      info: song.info,
      ...(song.path === defaultPath(catalog.roots, song.info) ? {} : { path: song.path }),
      stamp: song.stamp,
      audioKey: song.audioKey,
      blocks: song.blocks.map((b): StoredBlock => [b.offset, b.length, b.start, b.end, b.sha256 ?? '']),
      ...(song.measured ? { measured: song.measured } : {}),
      ...(song.tagsHold ? { tagsHold: song.tagsHold } : {}),
      ...(song.decoderHeader ? { decoderHeader: song.decoderHeader } : {}),
    }));
    parts.push(batch.map((song) => JSON.stringify(song)).join(','));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const json = `${JSON.stringify(header).slice(0, -1)},"songs":[${parts.join(',')}]}`;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, json);
  await rename(tmp, file);
}
