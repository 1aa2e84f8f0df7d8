/**
 * The catalog on disk (state dir): what the last scan found, so that a restart with no changes
 * only has to stat the files. Compact (blocks as tuples, paths not repeated) because a restart
 * parses it; written atomically; anything unreadable is simply a cold start.
 */
import path from 'node:path';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { SongInfo } from '../../common/protocol/records.js';
import { ANALYZER_VERSION } from './analyze.js';
import type { CatalogBlock, CatalogSong, FileStamp } from './song.js';

export interface StoredCatalog {
  root: string;
  nextId: number;
  songs: CatalogSong[];
}

/** offset, length, start, end, sha256 (empty until the block was first downloaded). */
type StoredBlock = [number, number, number, number, string];

interface StoredSong {
  info: SongInfo;
  /** Only when it is not the root joined with `info.file` (a symlink inside the library). */
  path?: string;
  stamp: FileStamp;
  blocks: StoredBlock[];
}

interface StoredFile {
  format: 2;
  analyzer: number;
  root: string;
  nextId: number;
  songs: StoredSong[];
}

const defaultPath = (root: string, song: SongInfo): string => path.join(root, song.file);

export async function loadStoredCatalog(file: string, root: string): Promise<StoredCatalog | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as StoredFile;
    if (data.format !== 2 || data.analyzer !== ANALYZER_VERSION || data.root !== root || !Array.isArray(data.songs)) {
      return undefined;
    }
    const songs = data.songs.map((song): CatalogSong => ({
      info: song.info,
      path: song.path ?? defaultPath(root, song.info),
      stamp: song.stamp,
      blocks: song.blocks.map(([offset, length, start, end, sha256], index): CatalogBlock => {
        const block: CatalogBlock = { index, offset, length, start, end };
        if (sha256) block.sha256 = sha256;
        return block;
      }),
    }));
    return { root, nextId: data.nextId, songs };
  } catch {
    return undefined;
  }
}

export async function saveStoredCatalog(file: string, catalog: StoredCatalog): Promise<void> {
  const data: StoredFile = {
    format: 2,
    analyzer: ANALYZER_VERSION,
    root: catalog.root,
    nextId: catalog.nextId,
    songs: catalog.songs.map((song) => ({
      info: song.info,
      ...(song.path === defaultPath(catalog.root, song.info) ? {} : { path: song.path }),
      stamp: song.stamp,
      blocks: song.blocks.map((b): StoredBlock => [b.offset, b.length, b.start, b.end, b.sha256 ?? '']),
    })),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(data));
  await rename(tmp, file);
}
