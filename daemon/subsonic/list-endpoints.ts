/**
 * Lists and search: getAlbumList2 (and the folder-based getAlbumList) of every type,
 * getRandomSongs, getSongsByGenre, getStarred2 (and getStarred), getNowPlaying, search3 (and search2).
 */
import { randomInt } from 'node:crypto';
import { FAVORITE, LAST_PLAYED, PLAY_COUNT, RATING } from '../../common/protocol/stickers.js';
import { SubsonicCode, SubsonicError, type SubsonicObject } from '../../common/subsonic/response.js';
import type { CatalogSong } from '../catalog/song.js';
import type { ApiContext, Endpoint } from './api-types.js';
import { foldersOf } from './browsing-endpoints.js';
import { albumArtistOf, foldText, sortKey, songTitle, type AlbumEntry } from './library-view.js';
import { albumChild, albumKey, albumRecord, artistKey, artistRecord, songRecord } from './records.js';

/** Items in one answer at most (Subsonic's own cap). */
const MAX_LIST = 500;

const ALBUM_LIST_TYPES = [
  'random',
  'newest',
  'highest',
  'frequent',
  'recent',
  'alphabeticalByName',
  'alphabeticalByArtist',
  'starred',
  'byYear',
  'byGenre',
] as const;

/** `count` items picked at random from `items`, without repeats. */
function sample<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    const index = randomInt(pool.length);
    picked.push(pool[index] as T);
    pool[index] = pool[pool.length - 1] as T;
    pool.pop();
  }
  return picked;
}

function albumList(ctx: ApiContext): AlbumEntry[] {
  const type = ctx.params.need('type');
  const size = ctx.params.int('size', 10, 0, MAX_LIST);
  const offset = ctx.params.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const folders = new Set(foldersOf(ctx).map((folder) => folder.id));
  const { stickers } = ctx.services;
  let albums = ctx.view.albumList.filter((album) => folders.has(album.folderIndex));
  const sum = (album: AlbumEntry, name: string): number =>
    album.songs.reduce((total, song) => total + Number(stickers.get(song.audioKey)?.[name] ?? 0), 0);
  const latest = (album: AlbumEntry): string =>
    album.songs.reduce((last, song) => {
      const played = stickers.get(song.audioKey)?.[LAST_PLAYED] ?? '';
      return played > last ? played : last;
    }, '');
  const rating = (album: AlbumEntry): number => {
    const own = Number(stickers.get(albumKey(album))?.[RATING] ?? 0);
    if (own > 0) return own;
    const rated = album.songs.map((song) => Number(stickers.get(song.audioKey)?.[RATING] ?? 0)).filter((r) => r > 0);
    return rated.length > 0 ? rated.reduce((a, b) => a + b, 0) / rated.length : 0;
  };
  // Each album's measure once, not at each comparison of the sort (a library of thousands of albums).
  const highestFirst = <K extends number | string>(measure: (album: AlbumEntry) => K, none: K): AlbumEntry[] =>
    albums
      .map((album) => ({ album, key: measure(album) }))
      .filter(({ key }) => key !== none)
      .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
      .map(({ album }) => album);
  switch (type as (typeof ALBUM_LIST_TYPES)[number]) {
    case 'random':
      return sample(albums, size);
    case 'newest':
      albums = [...albums].sort((a, b) => b.created - a.created);
      break;
    case 'highest':
      albums = highestFirst(rating, 0);
      break;
    case 'frequent':
      albums = highestFirst((album) => sum(album, PLAY_COUNT), 0);
      break;
    case 'recent':
      albums = highestFirst(latest, '');
      break;
    case 'alphabeticalByName':
      break;
    case 'alphabeticalByArtist':
      albums = [...albums].sort((a, b) => {
        const ka = sortKey(a.artist);
        const kb = sortKey(b.artist);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
      break;
    case 'starred':
      albums = albums.filter((album) => stickers.get(albumKey(album))?.[FAVORITE] !== undefined);
      break;
    case 'byYear': {
      const from = ctx.params.int('fromYear', undefined, -9999, 9999);
      const to = ctx.params.int('toYear', undefined, -9999, 9999);
      if (from === undefined || to === undefined)
        throw new SubsonicError(SubsonicCode.missingParameter, "type byYear needs 'fromYear' and 'toYear'");
      const [low, high] = from <= to ? [from, to] : [to, from];
      albums = albums
        .filter((album) => album.year !== undefined && album.year >= low && album.year <= high)
        .sort((a, b) => ((a.year ?? 0) - (b.year ?? 0)) * (from <= to ? 1 : -1));
      break;
    }
    case 'byGenre': {
      const genre = ctx.params.need('genre');
      albums = albums.filter((album) => album.songs.some((song) => song.info.genre === genre));
      break;
    }
    default:
      throw new SubsonicError(
        SubsonicCode.generic,
        `unknown list type '${type.slice(0, 40)}': one of ${ALBUM_LIST_TYPES.join(', ')}`,
      );
  }
  return albums.slice(offset, offset + size);
}

function songFilter(ctx: ApiContext): (song: CatalogSong) => boolean {
  const genre = ctx.params.get('genre');
  const from = ctx.params.int('fromYear', undefined, -9999, 9999);
  const to = ctx.params.int('toYear', undefined, -9999, 9999);
  const folders = new Set(foldersOf(ctx).map((folder) => folder.id));
  return (song) =>
    (genre === undefined || song.info.genre === genre) &&
    (from === undefined || (song.info.year ?? -Infinity) >= from) &&
    (to === undefined || (song.info.year ?? Infinity) <= to) &&
    folders.has(ctx.view.albumOf.get(song)?.folderIndex ?? 0);
}

/** What search3 and search2 find: every word of the query in the item's names, without case or accents. */
function search(ctx: ApiContext) {
  const raw = ctx.params.get('query') ?? '';
  // Clients that sync a whole library ask for "" (Symfonium, DSub's offline mode).
  const query = raw.replace(/^"(.*)"$/, '$1').trim();
  const words = foldText(query).split(/\s+/).filter(Boolean).slice(0, 16);
  // Each entry's names folded once per library view, not at every search.
  const matches = (entry: object, ...names: Array<string | undefined>): boolean => {
    const text = ctx.view.foldedNames(entry, names);
    return words.every((word) => text.includes(word));
  };
  const page = <T>(items: T[], count: string, offset: string): T[] => {
    const size = ctx.params.int(count, 20, 0, MAX_LIST);
    const from = ctx.params.int(offset, 0, 0, Number.MAX_SAFE_INTEGER);
    return items.slice(from, from + size);
  };
  const folders = new Set(foldersOf(ctx).map((folder) => folder.id));
  const view = ctx.view;
  return {
    artists: page(
      view.artistList.filter(
        (artist) => matches(artist, artist.name) && artist.albums.some((a) => folders.has(a.folderIndex)),
      ),
      'artistCount',
      'artistOffset',
    ),
    albums: page(
      view.albumList.filter((album) => folders.has(album.folderIndex) && matches(album, album.name, album.artist)),
      'albumCount',
      'albumOffset',
    ),
    songs: page(
      [...view.songs.values()].filter(
        (song) =>
          folders.has(view.albumOf.get(song)?.folderIndex ?? 0) &&
          matches(song, songTitle(song), song.info.artist, song.info.album, albumArtistOf(song)),
      ),
      'songCount',
      'songOffset',
    ),
  };
}

function starred(ctx: ApiContext) {
  const { stickers } = ctx.services;
  const view = ctx.view;
  const isStarred = (key: string): boolean => stickers.get(key)?.[FAVORITE] !== undefined;
  return {
    artist: view.artistList.filter((artist) => isStarred(artistKey(artist))),
    album: view.albumList.filter((album) => isStarred(albumKey(album))),
    song: [...view.songs.values()].filter((song) => isStarred(song.audioKey)),
  };
}

export const listEndpoints: Record<string, Endpoint> = {
  getAlbumList2: {
    run: (ctx) => ({ albumList2: { album: albumList(ctx).map((album) => albumRecord(album, ctx.services.stickers)) } }),
  },
  getAlbumList: {
    run: (ctx) => ({
      albumList: { album: albumList(ctx).map((album) => albumChild(album, ctx.view, ctx.services.stickers)) },
    }),
  },
  getRandomSongs: {
    run(ctx) {
      const size = ctx.params.int('size', 10, 0, MAX_LIST);
      const songs = sample([...ctx.view.songs.values()].filter(songFilter(ctx)), size);
      return { randomSongs: { song: songs.map((song) => songRecord(song, ctx.view, ctx.services.stickers)) } };
    },
  },
  getSongsByGenre: {
    run(ctx) {
      const genre = ctx.params.need('genre');
      const count = ctx.params.int('count', 10, 0, MAX_LIST);
      const offset = ctx.params.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const folders = new Set(foldersOf(ctx).map((folder) => folder.id));
      const songs = (ctx.view.genres.get(genre) ?? []).filter((song) =>
        folders.has(ctx.view.albumOf.get(song)?.folderIndex ?? 0),
      );
      return {
        songsByGenre: {
          song: songs.slice(offset, offset + count).map((song) => songRecord(song, ctx.view, ctx.services.stickers)),
        },
      };
    },
  },
  getStarred2: {
    run(ctx) {
      const { artist, album, song } = starred(ctx);
      const { stickers } = ctx.services;
      return {
        starred2: {
          artist: artist.map((entry) => artistRecord(entry, stickers)),
          album: album.map((entry) => albumRecord(entry, stickers)),
          song: song.map((entry) => songRecord(entry, ctx.view, stickers)),
        },
      };
    },
  },
  getStarred: {
    run(ctx) {
      const { artist, album, song } = starred(ctx);
      const { stickers } = ctx.services;
      return {
        starred: {
          artist: artist.map((entry) => ({
            id: entry.id,
            name: entry.name,
            starred: artistRecord(entry, stickers)['starred'],
          })),
          album: album.map((entry) => albumChild(entry, ctx.view, stickers)),
          song: song.map((entry) => songRecord(entry, ctx.view, stickers)),
        },
      };
    },
  },
  getNowPlaying: {
    run(ctx) {
      const { devices, listeners, stickers } = ctx.services;
      const now = Date.now();
      const entry: SubsonicObject[] = [];
      // Every device that plays a song: Subsonic clients and the players of the TCP protocol alike.
      const clients = new Map(listeners.nowPlaying().map((playing) => [playing.device, playing]));
      for (const device of devices.list()) {
        const song = device.playback ? ctx.view.songs.get(String(device.playback.song)) : undefined;
        if (!song) continue;
        const client = clients.get(device.name);
        entry.push({
          ...songRecord(song, ctx.view, stickers),
          username: client?.user ?? device.name,
          playerName: client?.client ?? device.name,
          playerId: entry.length + 1,
          minutesAgo: Math.max(0, Math.floor((now - Date.parse(device.updated)) / 60_000)),
        });
      }
      return { nowPlaying: { entry } };
    },
  },
  search3: {
    run(ctx) {
      const found = search(ctx);
      const { stickers } = ctx.services;
      return {
        searchResult3: {
          artist: found.artists.map((artist) => artistRecord(artist, stickers)),
          album: found.albums.map((album) => albumRecord(album, stickers)),
          song: found.songs.map((song) => songRecord(song, ctx.view, stickers)),
        },
      };
    },
  },
  search2: {
    run(ctx) {
      const found = search(ctx);
      const { stickers } = ctx.services;
      return {
        searchResult2: {
          artist: found.artists.map((artist) => ({ id: artist.id, name: artist.name })),
          album: found.albums.map((album) => albumChild(album, ctx.view, stickers)),
          song: found.songs.map((song) => songRecord(song, ctx.view, stickers)),
        },
      };
    },
  },
};
