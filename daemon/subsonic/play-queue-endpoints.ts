/** savePlayQueue and getPlayQueue: where a listener left off, to be taken up on another device. */
import { SubsonicCode, SubsonicError } from '../../common/subsonic/response.js';
import type { Endpoint } from './api-types.js';
import { findSongById } from './browsing-endpoints.js';
import { MAX_QUEUE_SONGS } from '../playlists/play-queue-store.js';
import { songRecord } from './records.js';

export const playQueueEndpoints: Record<string, Endpoint> = {
  savePlayQueue: {
    async run(ctx) {
      const ids = ctx.params.all('id');
      if (ids.length > MAX_QUEUE_SONGS)
        throw new SubsonicError(SubsonicCode.generic, `a play queue holds at most ${MAX_QUEUE_SONGS} songs`);
      const songs = ids.map((id) => findSongById(ctx, id));
      const currentId = ctx.params.get('current');
      const current = currentId !== undefined ? findSongById(ctx, currentId) : songs[0];
      await ctx.services.playQueues
        .save(ctx.user, {
          files: songs.map((song) => song.info.file),
          current: current?.info.file,
          positionMs: ctx.params.int('position', 0, 0, Number.MAX_SAFE_INTEGER),
          changed: new Date().toISOString(),
          changedBy: ctx.client,
        })
        .catch((error: unknown) => {
          throw new SubsonicError(
            SubsonicCode.generic,
            `not kept: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
        });
      return {};
    },
  },
  getPlayQueue: {
    run(ctx) {
      const saved = ctx.services.playQueues.get(ctx.user);
      if (!saved) return {};
      const { catalog, stickers } = ctx.services;
      const songs = saved.files.flatMap((file) => {
        const song = catalog.songAt(file);
        return song ? [song] : [];
      });
      const current = saved.current !== undefined ? catalog.songAt(saved.current) : undefined;
      return {
        playQueue: {
          current: current ? String(current.info.id) : undefined,
          position: saved.positionMs,
          username: ctx.user,
          changed: saved.changed,
          changedBy: saved.changedBy,
          entry: songs.map((song) => songRecord(song, ctx.view, stickers)),
        },
      };
    },
  },
};
