/**
 * Annotation: star, unstar, setRating, scrobble. Written to the sticker store the TCP protocol's
 * `sticker` commands read (docs/protocol.md, Stickers): a star is the `favorite` sticker, a rating
 * `rating`, a scrobble one more `playcount` and a new `lastplayed`; `idle sticker` wakes players.
 */
import {
  FAVORITE,
  LAST_PLAYED,
  PLAY_COUNT,
  RATING,
  stickerTime,
  type Stickers,
} from '../../common/protocol/stickers.js';
import { SubsonicCode, SubsonicError } from '../../common/subsonic/response.js';
import { StickerWriteError } from '../stickers/sticker-store.js';
import type { ApiContext, Endpoint } from './api-types.js';
import { notFound } from './browsing-endpoints.js';
import { albumKey, artistKey, folderKey } from './records.js';

/** The store's key of a song, album, artist or folder id; @throws SubsonicError 70 for an unknown one. */
function keyOf(ctx: ApiContext, id: string, kind: 'any' | 'album' | 'artist' = 'any'): string {
  const view = ctx.view;
  const song = kind === 'any' ? view.songs.get(id) : undefined;
  if (song) return song.audioKey;
  const album = kind !== 'artist' ? view.albums.get(id) : undefined;
  if (album) return albumKey(album);
  const artist = kind !== 'album' ? view.artists.get(id) : undefined;
  if (artist) return artistKey(artist);
  // A folder, as clients that browse by folders star an album.
  const folder = kind === 'any' ? view.directories.get(id) : undefined;
  if (folder) return folderKey(folder);
  throw notFound(kind === 'any' ? 'song, album or artist' : kind, id);
}

async function update(ctx: ApiContext, key: string, change: (current: Stickers) => Record<string, string | undefined>) {
  try {
    return await ctx.services.stickers.update(key, change);
  } catch (error) {
    if (error instanceof StickerWriteError || error instanceof RangeError)
      throw new SubsonicError(SubsonicCode.generic, `not kept: ${error.message}`);
    throw error;
  }
}

/**
 * Things one request may annotate: each is a change flushed to disk before the answer, and the
 * store writes one at a time, so a request of thousands would hold every other client's.
 */
const MAX_ANNOTATED = 500;

function checkCount(count: number): void {
  if (count > MAX_ANNOTATED)
    throw new SubsonicError(SubsonicCode.generic, `at most ${MAX_ANNOTATED} things in one request, got ${count}`);
}

/** Every key star and unstar name, checked before any is changed. */
function starKeys(ctx: ApiContext): string[] {
  const keys = [
    ...ctx.params.all('id').map((id) => keyOf(ctx, id)),
    ...ctx.params.all('albumId').map((id) => keyOf(ctx, id, 'album')),
    ...ctx.params.all('artistId').map((id) => keyOf(ctx, id, 'artist')),
  ];
  checkCount(keys.length);
  if (keys.length === 0)
    throw new SubsonicError(
      SubsonicCode.missingParameter,
      "required parameter 'id', 'albumId' or 'artistId' is missing",
    );
  return [...new Set(keys)];
}

export const annotationEndpoints: Record<string, Endpoint> = {
  star: {
    async run(ctx) {
      const now = stickerTime(Date.now());
      for (const key of starKeys(ctx)) await update(ctx, key, (current) => ({ [FAVORITE]: current[FAVORITE] ?? now }));
      return {};
    },
  },
  unstar: {
    async run(ctx) {
      for (const key of starKeys(ctx)) await update(ctx, key, () => ({ [FAVORITE]: undefined }));
      return {};
    },
  },
  setRating: {
    async run(ctx) {
      const key = keyOf(ctx, ctx.params.need('id'));
      const rating = ctx.params.need('rating');
      if (!/^[0-5]$/.test(rating)) throw new SubsonicError(SubsonicCode.generic, 'a rating is 0 (none) to 5');
      await update(ctx, key, () => ({ [RATING]: rating === '0' ? undefined : rating }));
      return {};
    },
  },
  scrobble: {
    async run(ctx) {
      const ids = ctx.params.all('id');
      checkCount(ids.length);
      if (ids.length === 0)
        throw new SubsonicError(SubsonicCode.missingParameter, "required parameter 'id' is missing");
      const times = ctx.params.all('time');
      const songs = ids.map((id) => {
        const song = ctx.view.songs.get(id);
        if (!song) throw notFound('song', id);
        return song;
      });
      if (!ctx.params.bool('submission', true)) {
        // "Now playing": the client's device says so.
        const song = songs.at(-1);
        if (song) ctx.services.listeners.playing(ctx.user, ctx.client, ctx.address, song);
        return {};
      }
      for (const [index, song] of songs.entries()) {
        const time = Number(times[index] ?? Date.now());
        const at = Number.isFinite(time) && time > 0 && time <= Date.now() + 86_400_000 ? time : Date.now();
        await update(ctx, song.audioKey, (current) => ({
          [PLAY_COUNT]: String(Math.min(999_999_999, Number(current[PLAY_COUNT] ?? 0) + 1)),
          [LAST_PLAYED]:
            current[LAST_PLAYED] && current[LAST_PLAYED] > stickerTime(at) ? current[LAST_PLAYED] : stickerTime(at),
        }));
      }
      return {};
    },
  },
};
