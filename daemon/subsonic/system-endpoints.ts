/** System and the library's folders: ping, getLicense, getOpenSubsonicExtensions, getUser, getMusicFolders, getScanStatus, startScan. */
import { SubsonicCode, SubsonicError } from '../../common/subsonic/response.js';
import type { Endpoint } from './api-types.js';

/** The OpenSubsonic extensions served, with their versions (docs/http-api.md). */
export const EXTENSIONS = [
  { name: 'formPost', versions: [1] },
  { name: 'apiKeyAuthentication', versions: [1] },
  { name: 'songLyrics', versions: [1] },
  { name: 'transcodeOffset', versions: [1] },
];

export const systemEndpoints: Record<string, Endpoint> = {
  ping: { run: () => ({}) },
  getLicense: { run: () => ({ license: { valid: true } }) },
  getOpenSubsonicExtensions: { open: true, run: () => ({ openSubsonicExtensions: EXTENSIONS }) },
  getUser: {
    run(ctx) {
      const name = ctx.params.get('username') ?? ctx.user;
      // A user sees itself; there are no admins to see others.
      if (name !== ctx.user)
        throw new SubsonicError(SubsonicCode.notAuthorized, `user '${ctx.user}' may not see another user`);
      return {
        user: {
          username: ctx.user,
          scrobblingEnabled: true,
          adminRole: false,
          settingsRole: false,
          downloadRole: true,
          uploadRole: false,
          playlistRole: true,
          coverArtRole: true,
          commentRole: false,
          podcastRole: false,
          streamRole: true,
          jukeboxRole: false,
          shareRole: false,
          videoConversionRole: false,
          folder: ctx.view.folders.map((folder) => folder.id),
        },
      };
    },
  },
  getMusicFolders: {
    run: (ctx) => ({
      musicFolders: { musicFolder: ctx.view.folders.map((folder) => ({ id: folder.id, name: folder.name })) },
    }),
  },
  getScanStatus: {
    run: (ctx) => ({
      scanStatus: { scanning: ctx.services.catalog.state !== 'ready', count: ctx.services.catalog.size },
    }),
  },
  startScan: {
    run(ctx) {
      void ctx.services.catalog
        .scan()
        .catch((error: unknown) => ctx.services.log.warn(`rescan: ${(error as Error).message}`));
      return { scanStatus: { scanning: true, count: ctx.services.catalog.size } };
    },
  },
};
