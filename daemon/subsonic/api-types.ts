/** What the Subsonic API's endpoints see, and what they answer. */
import type { SubsonicObject } from '../../common/subsonic/response.js';
import type { Artwork } from '../artwork/artwork.js';
import type { Catalog } from '../catalog/catalog.js';
import type { EmbeddedReader } from '../catalog/embedded-reader.js';
import type { DeviceRegistry } from '../devices.js';
import type { Logger } from '../log.js';
import type { PlaylistStore } from '../playlists/playlist-store.js';
import type { StickerStore } from '../stickers/sticker-store.js';
import type { ApiListeners } from './api-listeners.js';
import type { LibraryView, LibraryViews } from './library-view.js';
import type { MediaAnswer, MediaServer } from './media-server.js';
import type { Params } from './params.js';
import type { PlayQueueStore } from '../playlists/play-queue-store.js';

export interface ApiServices {
  version: string;
  catalog: Catalog;
  views: LibraryViews;
  stickers: StickerStore;
  playlists: PlaylistStore;
  artwork: Artwork;
  embedded: EmbeddedReader;
  devices: DeviceRegistry;
  listeners: ApiListeners;
  playQueues: PlayQueueStore;
  media: MediaServer;
  log: Logger;
}

export interface ApiContext {
  params: Params;
  /** The user the credentials named. */
  user: string;
  /** The client's name (`c`). */
  client: string;
  /** `ip:port` of the request. */
  address: string;
  method: string;
  /** Request headers, names in lower case. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  services: ApiServices;
  /** The library as it is for this request. */
  view: LibraryView;
}

export type Answer = SubsonicObject | MediaAnswer;

export interface Endpoint {
  run(ctx: ApiContext): Promise<Answer> | Answer;
  /** OpenSubsonic: answered without credentials (`getOpenSubsonicExtensions`). */
  open?: boolean;
}

export const isMedia = (answer: Answer): answer is MediaAnswer => answer['media'] === true;
