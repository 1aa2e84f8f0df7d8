/**
 * The catalog on disk (state dir): what the last scan found, so that a restart with no changes
 * only has to stat the files. Written atomically; anything unreadable is simply a cold start.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ANALYZER_VERSION } from './analyze.js';
import type { CatalogSong } from './song.js';

export interface StoredCatalog {
  format: 1;
  analyzer: number;
  root: string;
  nextId: number;
  songs: CatalogSong[];
}

export async function loadStoredCatalog(file: string, root: string): Promise<StoredCatalog | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as StoredCatalog;
    if (data.format !== 1 || data.analyzer !== ANALYZER_VERSION || data.root !== root || !Array.isArray(data.songs)) {
      return undefined;
    }
    return data;
  } catch {
    return undefined;
  }
}

export async function saveStoredCatalog(file: string, catalog: Omit<StoredCatalog, 'format' | 'analyzer'>): Promise<void> {
  const data: StoredCatalog = { format: 1, analyzer: ANALYZER_VERSION, ...catalog };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(data));
  await rename(tmp, file);
}
