/**
 * Songs' pictures for `readpicture` (the one in the tags) and `albumart` (a file in the album's
 * folder: cover.jpg, Folder.png, front.webp..., the names configurable), as MPD serves them: a
 * client reads a picture in pieces, so the whole is kept in a small cache between its requests.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddedReader } from '../catalog/embedded-reader.js';
import { MAX_PICTURE_BYTES, type Picture } from '../catalog/embedded.js';
import { readBesideFile, SongFileError } from '../catalog/open-song.js';
import type { CatalogSong } from '../catalog/song.js';
import { imageType, pickCoverFile, stamp } from './cover-file.js';

/** The cache holds at most this many pictures and bytes: a client reading pieces of a few covers at once. */
const CACHE_ENTRIES = 16;
const CACHE_BYTES = 64 * 1024 * 1024;

/** Why a picture cannot be served (the song's file unreadable, a cover file refused). */
export class PictureError extends Error {
  override name = 'PictureError';
}

export class Artwork {
  private readonly cache = new Map<string, Picture | undefined>();
  private cachedBytes = 0;

  constructor(
    private readonly reader: EmbeddedReader,
    /** File names (without extension) taken as an album's cover, in order of preference, compared case-insensitively. */
    readonly coverNames: readonly string[],
  ) {}

  /** The picture in the song's tags (the front cover first), if it has one. @throws PictureError */
  async embedded(song: CatalogSong): Promise<Picture | undefined> {
    // The scan read all its tags and saw none: no worker is started to look again.
    if (song.tagsHold?.picture === false) return undefined;
    return this.cached(`tags:${song.path}:${song.info.etag}`, async () => {
      const result = await this.reader.read({
        path: song.path,
        stamp: song.stamp,
        file: song.info.file,
        want: 'picture',
      });
      if ('error' in result) throw new PictureError(result.error);
      if (result.tooLarge)
        throw new PictureError(
          `the picture in '${song.info.file}' is ${result.tooLarge} bytes, over ${MAX_PICTURE_BYTES}`,
        );
      const picture = result.picture;
      return picture && { mime: imageType(picture.data) ?? picture.mime, data: picture.data };
    });
  }

  /** The album's cover file in the song's folder, if there is one. @throws PictureError */
  async folder(song: CatalogSong): Promise<Picture | undefined> {
    const dir = path.dirname(song.path);
    const names = await readdir(dir).catch(() => [] as string[]);
    const cover = pickCoverFile(names, this.coverNames);
    if (!cover) return undefined;
    const file = path.join(dir, cover);
    const shown = path.posix.join(path.posix.dirname(song.info.file), cover);
    const info = await stat(file).catch(() => undefined);
    return this.cached(`folder:${file}:${info && stamp(info)}`, async () => {
      let data: Buffer | undefined;
      try {
        data = await readBesideFile(file, MAX_PICTURE_BYTES, shown);
      } catch (error) {
        if (error instanceof SongFileError) throw new PictureError(error.message);
        throw error;
      }
      if (!data) return undefined;
      const mime = imageType(data);
      if (!mime) throw new PictureError(`'${shown}' is not a picture (JPEG, PNG, WebP, GIF or BMP)`);
      return { mime, data };
    });
  }

  private async cached(key: string, load: () => Promise<Picture | undefined>): Promise<Picture | undefined> {
    if (this.cache.has(key)) {
      const picture = this.cache.get(key);
      this.cache.delete(key); // to the back: most recently used
      this.cache.set(key, picture);
      return picture;
    }
    const picture = await load();
    this.cache.set(key, picture);
    this.cachedBytes += picture?.data.length ?? 0;
    while (this.cache.size > CACHE_ENTRIES || this.cachedBytes > CACHE_BYTES) {
      const [oldest, dropped] = this.cache.entries().next().value as [string, Picture | undefined];
      this.cache.delete(oldest);
      this.cachedBytes -= dropped?.data.length ?? 0;
    }
    return picture;
  }
}
