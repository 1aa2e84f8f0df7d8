/**
 * The Subsonic REST API 1.16.1 with OpenSubsonic's extensions (docs/http-api.md): the table of
 * endpoints, and one request taken from its parameters to its answer. The HTTP server
 * (daemon/server/http-server.ts) owns the sockets; this owns the API's rules: credentials, the
 * version, the client's name, the format, the errors.
 */
import { API_VERSION, SubsonicCode, SubsonicError, type ResponseFormat } from '../../common/subsonic/response.js';
import { annotationEndpoints } from './annotation-endpoints.js';
import type { ApiAuth } from './auth.js';
import type { Answer, ApiServices, Endpoint } from './api-types.js';
import { browsingEndpoints } from './browsing-endpoints.js';
import { listEndpoints } from './list-endpoints.js';
import { mediaEndpoints } from './media-endpoints.js';
import type { Params } from './params.js';
import { playQueueEndpoints } from './play-queue-endpoints.js';
import { playlistEndpoints } from './playlist-endpoints.js';
import { systemEndpoints } from './system-endpoints.js';

export const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  ...systemEndpoints,
  ...browsingEndpoints,
  ...listEndpoints,
  ...playlistEndpoints,
  ...mediaEndpoints,
  ...annotationEndpoints,
  ...playQueueEndpoints,
};

/** The API's other endpoints: known, and answered with error 0 and why, not a 404 page. */
export const NOT_SERVED: Readonly<Record<string, string>> = Object.fromEntries([
  ...[
    'getPodcasts',
    'getNewestPodcasts',
    'refreshPodcasts',
    'createPodcastChannel',
    'deletePodcastChannel',
    'deletePodcastEpisode',
    'downloadPodcastEpisode',
    'getPodcastEpisode',
  ].map((name) => [name, 'streamd serves no podcasts']),
  ...[
    'getInternetRadioStations',
    'createInternetRadioStation',
    'updateInternetRadioStation',
    'deleteInternetRadioStation',
  ].map((name) => [name, "streamd's radio is its own live programme (docs/protocol.md), not a list of stations"]),
  ...['getShares', 'createShare', 'updateShare', 'deleteShare'].map((name) => [name, 'streamd makes no public shares']),
  ...['getUsers', 'createUser', 'updateUser', 'deleteUser', 'changePassword'].map((name) => [
    name,
    "users are kept in streamd's config file",
  ]),
  ...['getVideos', 'getVideoInfo', 'getCaptions', 'hls'].map((name) => [name, 'streamd serves no video']),
  ...['jukeboxControl'].map((name) => [name, 'streamd has no jukebox: drive a device with the TCP protocol']),
  ...['getChatMessages', 'addChatMessage'].map((name) => [name, 'streamd has no chat']),
  ...['getBookmarks', 'createBookmark', 'deleteBookmark'].map((name) => [
    name,
    'streamd keeps no bookmarks: savePlayQueue keeps where a listener is',
  ]),
  ...['getSimilarSongs', 'getSimilarSongs2', 'getTopSongs', 'getArtistInfo', 'getAlbumInfo'].map((name) => [
    name,
    'streamd looks nothing up on the Internet',
  ]),
  ...['getAvatar'].map((name) => [name, 'streamd keeps no avatars']),
]);

export interface ApiRequest {
  /** The endpoint's name, `.view` taken off. */
  name: string;
  params: Params;
  address: string;
  method: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The format the answer is written in: `f=json` (and jsonp's data), else XML. */
export function formatOf(params: Params): ResponseFormat {
  const f = params.get('f');
  return f === 'json' ? 'json' : 'xml';
}

/** @throws SubsonicError 10, 20 or 30 for a missing or incompatible `v`. */
function checkVersion(params: Params): void {
  const given = params.need('v');
  const parts = /^(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?$/.exec(given);
  if (!parts)
    throw new SubsonicError(
      SubsonicCode.generic,
      `'v' is a version such as ${API_VERSION}, got '${given.slice(0, 20)}'`,
    );
  const [major, minor] = [Number(parts[1]), Number(parts[2])];
  const [ourMajor, ourMinor] = API_VERSION.split('.').map(Number) as [number, number];
  if (major < ourMajor)
    throw new SubsonicError(
      SubsonicCode.clientMustUpgrade,
      `the client speaks ${given}; streamd speaks ${API_VERSION}`,
    );
  if (major > ourMajor || minor > ourMinor)
    throw new SubsonicError(
      SubsonicCode.serverMustUpgrade,
      `the client speaks ${given}; streamd speaks ${API_VERSION}`,
    );
}

export class SubsonicApi {
  constructor(
    private readonly services: ApiServices,
    private readonly auth: ApiAuth,
  ) {}

  /** One request's answer; a SubsonicError is the answer's failure, to be written in the request's format. */
  async answer(request: ApiRequest): Promise<Answer> {
    const endpoint = ENDPOINTS[request.name];
    if (endpoint?.open) return endpoint.run(this.context(request, '', ''));
    const user = await this.auth.check(request.params, request.address);
    checkVersion(request.params);
    const client = request.params.need('c').slice(0, 64);
    if (!endpoint) {
      const why = NOT_SERVED[request.name];
      throw new SubsonicError(
        SubsonicCode.generic,
        why ? `${request.name}: ${why}` : `unknown method '${request.name.slice(0, 64)}'`,
      );
    }
    return endpoint.run(this.context(request, user, client));
  }

  private context(request: ApiRequest, user: string, client: string) {
    return {
      params: request.params,
      user,
      client,
      address: request.address,
      method: request.method,
      headers: request.headers,
      services: this.services,
      view: this.services.views.current(),
    };
  }
}
