/** Browsing by folders (getIndexes, getMusicDirectory) and by tags (getArtists, getArtist, getAlbum, getSong, getGenres). */
import { SubsonicCode, SubsonicError, type SubsonicObject } from '../../common/subsonic/response.js';
import type { ApiContext, Endpoint } from './api-types.js';
import {
  IGNORED_ARTICLES,
  indexLetter,
  type AlbumEntry,
  type ArtistEntry,
  type DirectoryEntry,
  type LibraryView,
} from './library-view.js';
import { albumRecord, artistRecord, folderChild, songRecord } from './records.js';

/** Items grouped under their index letters, in order (`#` last, as Subsonic lists it). */
function byLetter<T extends { name: string }>(
  items: readonly T[],
  record: (item: T) => SubsonicObject,
): SubsonicObject[] {
  const groups = new Map<string, SubsonicObject[]>();
  for (const item of items) {
    const letter = indexLetter(item.name);
    const group = groups.get(letter) ?? [];
    group.push(record(item));
    groups.set(letter, group);
  }
  return [...groups]
    .sort(([a], [b]) => (a === '#' ? 1 : b === '#' ? -1 : a < b ? -1 : 1))
    .map(([name, artist]) => ({ name, artist }));
}

/** The folder asked for by `musicFolderId`, or every one. @throws SubsonicError 70 for an unknown one. */
export function foldersOf(ctx: ApiContext): LibraryView['folders'] {
  const id = ctx.params.int('musicFolderId', undefined, -1, 1_000_000);
  if (id === undefined) return ctx.view.folders;
  const folder = ctx.view.folders.find((candidate) => candidate.id === id);
  if (!folder) throw new SubsonicError(SubsonicCode.notFound, `no music folder ${id}`);
  return [folder];
}

export const notFound = (what: string, id: string): SubsonicError =>
  new SubsonicError(SubsonicCode.notFound, `${what} not found: '${id.slice(0, 64)}'`);

export function findAlbum(ctx: ApiContext, id: string): AlbumEntry {
  const album = ctx.view.albums.get(id);
  if (!album) throw notFound('album', id);
  return album;
}

export function findArtist(ctx: ApiContext, id: string): ArtistEntry {
  const artist = ctx.view.artists.get(id);
  if (!artist) throw notFound('artist', id);
  return artist;
}

export function findSongById(ctx: ApiContext, id: string) {
  const song = ctx.view.songs.get(id);
  if (!song) throw notFound('song', id);
  return song;
}

function directoryAnswer(ctx: ApiContext, dir: DirectoryEntry): SubsonicObject {
  const { stickers } = ctx.services;
  return {
    directory: {
      id: dir.id,
      parent: dir.parent?.id,
      name: dir.name,
      child: [
        ...dir.dirs.map((child) => folderChild(child, stickers)),
        ...dir.songs.map((song) => songRecord(song, ctx.view, stickers)),
      ],
    },
  };
}

export const browsingEndpoints: Record<string, Endpoint> = {
  getIndexes: {
    run(ctx) {
      const folders = foldersOf(ctx);
      const since = ctx.params.int('ifModifiedSince', undefined, 0, Number.MAX_SAFE_INTEGER);
      const base = { ignoredArticles: IGNORED_ARTICLES.join(' '), lastModified: ctx.view.lastModified };
      if (since !== undefined && since >= ctx.view.lastModified) return { indexes: base };
      const dirs = folders.flatMap((folder) => folder.root.dirs);
      const songs = folders.flatMap((folder) => folder.root.songs);
      return {
        indexes: {
          ...base,
          index: byLetter(dirs, (dir) => ({ id: dir.id, name: dir.name })),
          child: songs.map((song) => songRecord(song, ctx.view, ctx.services.stickers)),
        },
      };
    },
  },
  getMusicDirectory: {
    run(ctx) {
      const id = ctx.params.need('id');
      const dir = ctx.view.directories.get(id);
      if (dir) return directoryAnswer(ctx, dir);
      // An album listed by getAlbumList is a directory of its songs.
      const album = ctx.view.albums.get(id);
      if (!album) throw notFound('directory', id);
      return {
        directory: {
          id: album.id,
          name: album.name,
          child: album.songs.map((song) => songRecord(song, ctx.view, ctx.services.stickers)),
        },
      };
    },
  },
  getArtists: {
    run(ctx) {
      const folders = new Set(foldersOf(ctx).map((folder) => folder.id));
      const artists = ctx.view.artistList.filter((artist) =>
        artist.albums.some((album) => folders.has(album.folderIndex)),
      );
      return {
        artists: {
          ignoredArticles: IGNORED_ARTICLES.join(' '),
          index: byLetter(artists, (artist) => artistRecord(artist, ctx.services.stickers)),
        },
      };
    },
  },
  getArtist: {
    run(ctx) {
      const artist = findArtist(ctx, ctx.params.need('id'));
      return {
        artist: {
          ...artistRecord(artist, ctx.services.stickers),
          album: artist.albums.map((album) => albumRecord(album, ctx.services.stickers)),
        },
      };
    },
  },
  getAlbum: {
    run(ctx) {
      const album = findAlbum(ctx, ctx.params.need('id'));
      return {
        album: {
          ...albumRecord(album, ctx.services.stickers),
          song: album.songs.map((song) => songRecord(song, ctx.view, ctx.services.stickers)),
        },
      };
    },
  },
  getSong: {
    run(ctx) {
      return { song: songRecord(findSongById(ctx, ctx.params.need('id')), ctx.view, ctx.services.stickers) };
    },
  },
  getGenres: {
    run(ctx) {
      const genre = [...ctx.view.genres]
        .map(([value, songs]) => ({
          value,
          songCount: songs.length,
          albumCount: new Set(songs.map((song) => ctx.view.albumOf.get(song))).size,
        }))
        .sort((a, b) => (a.value < b.value ? -1 : 1));
      return { genres: { genre } };
    },
  },
  getArtistInfo2: {
    // Nothing is looked up on the Internet: an artist's info is empty, as Subsonic's is offline.
    run(ctx) {
      findArtist(ctx, ctx.params.need('id'));
      return { artistInfo2: {} };
    },
  },
  getAlbumInfo2: {
    run(ctx) {
      findAlbum(ctx, ctx.params.need('id'));
      return { albumInfo: {} };
    },
  },
};
