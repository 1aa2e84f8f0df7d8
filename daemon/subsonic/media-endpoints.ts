/** Media: stream, download, getCoverArt, getLyricsBySongId (OpenSubsonic's songLyrics) and getLyrics. */
import { SubsonicCode, SubsonicError } from '../../common/subsonic/response.js';
import type { Picture } from '../catalog/embedded.js';
import type { CatalogSong } from '../catalog/song.js';
import { PictureError } from '../artwork/artwork.js';
import { songLyrics } from '../lyrics/song-lyrics.js';
import type { ApiContext, Endpoint } from './api-types.js';
import { findSongById, notFound } from './browsing-endpoints.js';
import { foldText, songTitle, type DirectoryEntry } from './library-view.js';
import { streamPlan } from './media-server.js';

/** The song whose picture stands for `id`: a song's own, an album's or artist's first, a folder's first. */
function pictureSong(ctx: ApiContext, id: string): { song: CatalogSong; album: boolean } {
  const view = ctx.view;
  const song = view.songs.get(id);
  if (song) return { song, album: false };
  const album = view.albums.get(id) ?? view.artists.get(id)?.albums[0];
  const first = album?.songs[0];
  if (first) return { song: first, album: true };
  const dir = view.directories.get(id);
  const firstIn = (entry: DirectoryEntry): CatalogSong | undefined =>
    entry.songs[0] ?? entry.dirs.map(firstIn).find((found) => found !== undefined);
  const inDir = dir && firstIn(dir);
  if (inDir) return { song: inDir, album: true };
  throw notFound('cover art', id);
}

export const mediaEndpoints: Record<string, Endpoint> = {
  stream: {
    async run(ctx) {
      const song = findSongById(ctx, ctx.params.need('id'));
      const plan = streamPlan(song, {
        format: ctx.params.get('format'),
        maxBitRate: ctx.params.int('maxBitRate', 0, 0, 100_000),
      });
      const offsetSeconds = ctx.params.int('timeOffset', 0, 0, 1_000_000);
      const answer = plan.raw
        ? await ctx.services.media.song(song, ctx, { attachment: false })
        : await ctx.services.media.transcoded(song, plan, {
            method: ctx.method,
            estimateLength: ctx.params.bool('estimateContentLength', false),
            offsetSeconds: Math.min(offsetSeconds, song.info.duration),
          });
      // The client plays it once it is sent it: its device says so (not for a HEAD, a 304 or a range further on).
      const range = ctx.headers['range'];
      const fromStart = range === undefined || /^bytes=0-/.test(String(range));
      if (answer.body !== undefined && fromStart)
        ctx.services.listeners.playing(ctx.user, ctx.client, ctx.address, song, plan.raw ? 0 : offsetSeconds);
      return answer;
    },
  },
  download: {
    run(ctx) {
      return ctx.services.media.song(findSongById(ctx, ctx.params.need('id')), ctx, { attachment: true });
    },
  },
  getCoverArt: {
    async run(ctx) {
      const id = ctx.params.need('id');
      const { song, album } = pictureSong(ctx, id);
      const size = ctx.params.int('size', undefined, 1, 100_000);
      const { artwork, media } = ctx.services;
      // `final`: sent as it is (from the picture process: scaled there, or it cannot be).
      const readHere = (picture: Picture | undefined) => picture && { picture, final: false };
      // The cover file found, read and scaled in the picture process when a size is asked; else read here.
      const folder = async () => {
        const cover = await media.folderCover(song, size, artwork.coverNames);
        if (cover === 'none') return undefined;
        return cover ? { picture: cover.picture, final: true } : readHere(await artwork.folder(song));
      };
      const embedded = async () => readHere(await artwork.embedded(song));
      let found: { picture: Picture; final: boolean } | undefined;
      try {
        // A song's own picture first; an album's cover file first.
        found = album ? ((await folder()) ?? (await embedded())) : ((await embedded()) ?? (await folder()));
      } catch (error) {
        if (error instanceof PictureError) throw new SubsonicError(SubsonicCode.generic, error.message);
        throw error;
      }
      if (!found) throw notFound('cover art', id);
      return media.picture(found.picture, found.final ? undefined : size, ctx.method);
    },
  },
  getLyricsBySongId: {
    async run(ctx) {
      const song = findSongById(ctx, ctx.params.need('id'));
      const lyrics = await songLyrics(song, ctx.services.embedded).catch((error: unknown) => {
        throw new SubsonicError(SubsonicCode.generic, `cannot read the lyrics: ${(error as Error).message}`);
      });
      if (!lyrics) return { lyricsList: { structuredLyrics: [] } };
      return {
        lyricsList: {
          structuredLyrics: [
            {
              displayArtist: song.info.artist,
              displayTitle: songTitle(song),
              lang: 'xxx',
              offset: 0,
              synced: lyrics.synced,
              line: lyrics.lines.map((line) =>
                lyrics.synced && line.ms !== undefined ? { start: line.ms, value: line.text } : { value: line.text },
              ),
            },
          ],
        },
      };
    },
  },
  getLyrics: {
    async run(ctx) {
      const artist = foldText(ctx.params.get('artist') ?? '');
      const title = foldText(ctx.params.get('title') ?? '');
      const song = [...ctx.view.songs.values()].find(
        (candidate) =>
          (title === '' || foldText(songTitle(candidate)) === title) &&
          (artist === '' || foldText(candidate.info.artist ?? '') === artist),
      );
      if (!song || (artist === '' && title === '')) return { lyrics: {} };
      const lyrics = await songLyrics(song, ctx.services.embedded).catch(() => undefined);
      return {
        lyrics: {
          artist: song.info.artist,
          title: songTitle(song),
          value: lyrics?.lines.map((line) => line.text).join('\n'),
        },
      };
    },
  },
};
