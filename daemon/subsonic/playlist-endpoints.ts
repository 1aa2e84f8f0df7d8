/**
 * Playlists: getPlaylists, getPlaylist, createPlaylist, updatePlaylist, deletePlaylist. The stored
 * playlists of the TCP protocol (M3U8 files in the playlist folder, MPD's model): one made here
 * shows in `listplaylists` at once and wakes `idle stored_playlist`, and the reverse. A playlist's
 * id is its name, encoded; the daemon's playlists are everyone's, as MPD's are.
 */
import type { M3uEntry } from '../../common/playlist/m3u8.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { SubsonicCode, SubsonicError, type SubsonicObject } from '../../common/subsonic/response.js';
import type { CatalogSong } from '../catalog/song.js';
import type { PlaylistInfo } from '../playlists/playlist-store.js';
import type { ApiContext, Endpoint } from './api-types.js';
import { findSongById, notFound } from './browsing-endpoints.js';
import { songRecord } from './records.js';

export const playlistId = (name: string): string => `pl-${Buffer.from(name).toString('base64url')}`;

function playlistName(id: string): string {
  if (!/^pl-[A-Za-z0-9_-]{1,400}$/.test(id)) throw notFound('playlist', id);
  return Buffer.from(id.slice(3), 'base64url').toString('utf8');
}

/** The store's errors in the API's codes. */
async function store<T>(work: () => Promise<T>, id: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProtocolError) {
      if (error.code === 'not_found') throw notFound('playlist', id);
      throw new SubsonicError(SubsonicCode.generic, error.message);
    }
    throw error;
  }
}

async function playlistRecord(ctx: ApiContext, info: PlaylistInfo, withSongs: boolean): Promise<SubsonicObject> {
  const files = await store(() => ctx.services.playlists.read(info.name), playlistId(info.name));
  const songs = files
    .map((file) => ctx.services.catalog.songAt(file))
    .map((song) => song && ctx.view.songs.get(String(song.info.id)))
    .filter((song): song is CatalogSong => song !== undefined);
  const first = songs[0];
  return {
    id: playlistId(info.name),
    name: info.name,
    owner: ctx.user,
    public: true,
    songCount: songs.length,
    duration: Math.round(songs.reduce((sum, song) => sum + song.info.duration, 0)),
    created: info.modified.toISOString(),
    changed: info.modified.toISOString(),
    coverArt: first ? String(first.info.id) : undefined,
    entry: withSongs ? songs.map((song) => songRecord(song, ctx.view, ctx.services.stickers)) : undefined,
  };
}

async function onePlaylist(ctx: ApiContext, id: string): Promise<SubsonicObject> {
  const name = playlistName(id);
  const info = (await ctx.services.playlists.list()).find((candidate) => candidate.name === name);
  if (!info) throw notFound('playlist', id);
  return playlistRecord(ctx, info, true);
}

const entryOf = (song: CatalogSong): M3uEntry => song.info;
/** What the library knows of each kept entry, or its bare path when it has left the library. */
const kept = (ctx: ApiContext, files: readonly string[]): M3uEntry[] =>
  files.map((file) => ctx.services.catalog.songAt(file)?.info ?? { file });

export const playlistEndpoints: Record<string, Endpoint> = {
  getPlaylists: {
    async run(ctx) {
      const infos = await ctx.services.playlists.list();
      const playlist: SubsonicObject[] = [];
      for (const info of infos) playlist.push(await playlistRecord(ctx, info, false));
      return { playlists: { playlist } };
    },
  },
  getPlaylist: {
    async run(ctx) {
      return { playlist: await onePlaylist(ctx, ctx.params.need('id')) };
    },
  },
  createPlaylist: {
    async run(ctx) {
      const id = ctx.params.get('playlistId');
      const name = id !== undefined ? playlistName(id) : ctx.params.need('name');
      const songs = ctx.params.all('songId').map((songId) => findSongById(ctx, songId));
      // With a playlistId the playlist's songs are replaced; with a name a new one is made (or one of that name replaced).
      await store(
        () => ctx.services.playlists.change(name, () => songs.map(entryOf), { create: id === undefined, fresh: true }),
        id ?? playlistId(name),
      );
      return { playlist: await onePlaylist(ctx, playlistId(name)) };
    },
  },
  updatePlaylist: {
    async run(ctx) {
      const id = ctx.params.need('playlistId');
      let name = playlistName(id);
      const added = ctx.params.all('songIdToAdd').map((songId) => findSongById(ctx, songId));
      const removed = ctx.params.all('songIndexToRemove').map((text) => {
        if (!/^\d{1,9}$/.test(text))
          throw new SubsonicError(
            SubsonicCode.generic,
            `'songIndexToRemove' is a position, got '${text.slice(0, 20)}'`,
          );
        return Number(text);
      });
      if (added.length > 0 || removed.length > 0) {
        await store(
          () =>
            ctx.services.playlists.change(name, (files) => {
              const gone = new Set(removed.filter((index) => index < files.length));
              return [
                ...kept(
                  ctx,
                  files.filter((_, index) => !gone.has(index)),
                ),
                ...added.map(entryOf),
              ];
            }),
          id,
        );
      }
      const newName = ctx.params.get('name');
      if (newName !== undefined && newName !== name) {
        await store(() => ctx.services.playlists.rename(name, newName), id);
        name = newName;
      }
      return {};
    },
  },
  deletePlaylist: {
    async run(ctx) {
      const id = ctx.params.need('id');
      await store(() => ctx.services.playlists.remove(playlistName(id)), id);
      return {};
    },
  },
};
