/**
 * A song's lyrics: a `.lrc` file beside it with its name (`01 Song.lrc` for `01 Song.flac`, the
 * extension in any case), else those in its tags (embedded.ts). Both are read as LRC or plain
 * text (common/lyrics/lrc.ts).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseLyrics, type Lyrics } from '../../common/lyrics/lrc.js';
import type { EmbeddedReader } from '../catalog/embedded-reader.js';
import { readBesideFile } from '../catalog/open-song.js';
import type { CatalogSong } from '../catalog/song.js';

/** A `.lrc` larger than this is not read. */
const MAX_LRC_BYTES = 1024 * 1024;

export interface SongLyrics extends Lyrics {
  source: 'lrc' | 'tags';
}

/** @throws SongFileError (a `.lrc` that may not be read), Error (the song's tags unreadable) */
export async function songLyrics(song: CatalogSong, reader: EmbeddedReader): Promise<SongLyrics | undefined> {
  const dir = path.dirname(song.path);
  const stem = path.basename(song.path, path.extname(song.path));
  const lrc = (await readdir(dir).catch(() => [] as string[])).find(
    (name) => path.extname(name).toLowerCase() === '.lrc' && name.slice(0, -4) === stem,
  );
  if (lrc) {
    const shown = path.posix.join(path.posix.dirname(song.info.file), lrc);
    const text = await readBesideFile(path.join(dir, lrc), MAX_LRC_BYTES, shown);
    if (text) return { source: 'lrc', ...parseLyrics(text.toString('utf8')) };
  }
  if (song.tagsHold?.lyrics === false) return undefined; // the scan read all its tags and saw none
  const result = await reader.read({ path: song.path, stamp: song.stamp, file: song.info.file, want: 'lyrics' });
  if ('error' in result) throw new Error(result.error);
  return result.lyrics ? { source: 'tags', ...parseLyrics(result.lyrics) } : undefined;
}
