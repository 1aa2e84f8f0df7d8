/**
 * The API's records of songs (`Child`), albums (`AlbumID3`), artists (`ArtistID3`) and folders,
 * with OpenSubsonic's additions, and what listeners keep of each (stars, ratings, play counts)
 * read from the one sticker store the TCP protocol's `sticker` commands use.
 */
import path from 'node:path';
import type { SongFormat } from '../../common/protocol/records.js';
import { FAVORITE, LAST_PLAYED, PLAY_COUNT, RATING, type Stickers } from '../../common/protocol/stickers.js';
import type { SubsonicObject } from '../../common/subsonic/response.js';
import type { CatalogSong } from '../catalog/song.js';
import type { StickerStore } from '../stickers/sticker-store.js';
import {
  songTitle,
  UNKNOWN_ARTIST,
  type AlbumEntry,
  type ArtistEntry,
  type DirectoryEntry,
  type LibraryView,
} from './library-view.js';

export const CONTENT_TYPES: Record<SongFormat, string> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  m4a: 'audio/mp4',
};

/** Albums and artists have stickers of their own (a star, a rating), kept beside the songs' under these keys. */
export const albumKey = (album: AlbumEntry): string => `album:${album.id}`;
export const artistKey = (artist: ArtistEntry): string => `artist:${artist.id}`;
export const folderKey = (dir: DirectoryEntry): string => `folder:${dir.id}`;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The song's bit rate in kb/s, from its size and length. */
export const bitRateOf = (song: CatalogSong): number =>
  song.info.duration > 0 ? Math.round((song.info.bytes * 8) / song.info.duration / 1000) : 0;

/** What a listener keeps of a thing, in the API's names. */
function marks(stickers: Stickers | undefined): SubsonicObject {
  if (!stickers) return {};
  const rating = Number(stickers[RATING] ?? 0);
  const plays = Number(stickers[PLAY_COUNT] ?? 0);
  return {
    starred: stickers[FAVORITE],
    userRating: rating > 0 ? rating : undefined,
    playCount: plays > 0 ? plays : undefined,
    played: stickers[LAST_PLAYED],
  };
}

export function songRecord(song: CatalogSong, view: LibraryView, stickers: StickerStore): SubsonicObject {
  const info = song.info;
  const album = view.albumOf.get(song);
  const artist = view.artistOfSong(song);
  const id = String(info.id);
  const suffix = path.posix.extname(info.file).slice(1).toLowerCase() || info.format;
  const gains =
    info.trackGain !== undefined || info.albumGain !== undefined
      ? {
          trackGain: info.trackGain,
          trackPeak: info.trackPeak,
          albumGain: info.albumGain,
          albumPeak: info.albumPeak,
        }
      : undefined;
  return {
    id,
    parent: view.directoryOf.get(song)?.id,
    isDir: false,
    title: songTitle(song),
    album: album?.name,
    artist: info.artist || UNKNOWN_ARTIST,
    track: info.track,
    year: info.year,
    genre: info.genre,
    coverArt: id,
    size: song.stamp.size,
    contentType: CONTENT_TYPES[info.format],
    suffix,
    duration: Math.round(info.duration),
    bitRate: bitRateOf(song),
    path: info.file,
    // A song of no disc set is on its album's one disc.
    discNumber: info.disc ?? 1,
    created: iso(song.stamp.mtimeMs),
    albumId: album?.id,
    artistId: artist?.id,
    type: 'music',
    isVideo: false,
    ...marks(stickers.get(song.audioKey)),
    // One rating per song, everyone's: its average is itself.
    averageRating: marks(stickers.get(song.audioKey))['userRating'],
    // OpenSubsonic
    mediaType: 'song',
    bitDepth: info.bits,
    samplingRate: info.sampleRate,
    channelCount: info.channels,
    displayArtist: info.artist || UNKNOWN_ARTIST,
    displayAlbumArtist: album?.artist,
    genres: info.genre ? [{ name: info.genre }] : [],
    replayGain: gains,
  };
}

export function albumRecord(album: AlbumEntry, stickers: StickerStore): SubsonicObject {
  const plays = album.songs.reduce((sum, song) => sum + Number(stickers.get(song.audioKey)?.[PLAY_COUNT] ?? 0), 0);
  const lastPlayed = album.songs
    .map((song) => stickers.get(song.audioKey)?.[LAST_PLAYED])
    .filter((time): time is string => time !== undefined)
    .sort()
    .at(-1);
  const own = marks(stickers.get(albumKey(album)));
  return {
    id: album.id,
    name: album.name,
    artist: album.artist,
    artistId: album.artistId,
    coverArt: album.id,
    songCount: album.songs.length,
    duration: Math.round(album.duration),
    playCount: plays,
    played: lastPlayed,
    created: iso(album.created),
    year: album.year,
    genre: album.genre,
    starred: own['starred'],
    userRating: own['userRating'],
    // OpenSubsonic
    displayArtist: album.artist,
    genres: album.genre ? [{ name: album.genre }] : [],
    isCompilation: album.songs.some(
      (song) => song.info.albumArtist !== undefined && song.info.albumArtist !== song.info.artist,
    ),
  };
}

export function artistRecord(artist: ArtistEntry, stickers: StickerStore): SubsonicObject {
  return {
    id: artist.id,
    name: artist.name,
    coverArt: artist.id,
    albumCount: artist.albums.length,
    starred: marks(stickers.get(artistKey(artist)))['starred'],
  };
}

/** A folder as an entry of its parent's listing: an album's folder is named as its album, in its artist's. */
export function folderChild(dir: DirectoryEntry, stickers: StickerStore): SubsonicObject {
  const own = marks(stickers.get(folderKey(dir)));
  return {
    id: dir.id,
    parent: dir.parent?.id,
    isDir: true,
    title: dir.name,
    album: dir.name,
    artist: dir.parent?.parent ? dir.parent.name : undefined,
    coverArt: dir.id,
    created: iso(dir.created),
    starred: own['starred'],
    userRating: own['userRating'],
  };
}

/** An album as getAlbumList's (folder-based) entry. */
export function albumChild(album: AlbumEntry, view: LibraryView, stickers: StickerStore): SubsonicObject {
  const record = albumRecord(album, stickers);
  const first = album.songs[0];
  return {
    id: album.id,
    parent: first ? view.directoryOf.get(first)?.parent?.id : undefined,
    isDir: true,
    title: album.name,
    name: album.name,
    album: album.name,
    artist: album.artist,
    year: album.year,
    genre: album.genre,
    coverArt: album.id,
    created: record['created'],
    starred: record['starred'],
    userRating: record['userRating'],
  };
}
