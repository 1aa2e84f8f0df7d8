/** A daemon in the test process: the real catalog and TCP server, listening on port 0. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_CALLS,
  DEFAULT_RADIO,
  DEFAULT_UDP,
  type CallSettings,
  type RadioSettings,
  type UdpSettings,
} from '../../common/config-schema.js';
import { DEFAULT_LIMITS, type Limits } from '../../common/limits.js';
import { Catalog } from '../../daemon/catalog/catalog.js';
import { silentLogger, type Logger } from '../../daemon/log.js';
import { createStreamd, type Streamd } from '../../daemon/instance.js';
import { PlaylistStore, type PlaylistSuffix } from '../../daemon/playlists/playlist-store.js';
import { StickerStore } from '../../daemon/stickers/sticker-store.js';
import type { ApiUserSettings } from '../../common/config-schema.js';
import { PlayQueueStore } from '../../daemon/playlists/play-queue-store.js';

export interface TestDaemon {
  port: number;
  /** The Subsonic API's port, when users were given. */
  httpPort: number | undefined;
  udpPort: number;
  server: Streamd;
  catalog: Catalog;
  stateDir: string;
  stop(): Promise<void>;
}

export async function startTestDaemon(
  musicDir: string | readonly string[],
  options: {
    host?: string;
    limits?: Partial<Limits>;
    password?: string;
    log?: Logger;
    radio?: Partial<RadioSettings>;
    udp?: Partial<UdpSettings>;
    calls?: Partial<CallSettings>;
    /** The loudness pass after each scan (streamd's default; off here unless a test is about it). */
    measureLoudness?: boolean;
    /** What new stored playlists are named with (`.m3u` for a folder MPD shares). */
    playlistSuffix?: PlaylistSuffix;
    /** Users of the Subsonic API: given, its HTTP port is opened (port 0). */
    users?: readonly ApiUserSettings[];
    httpMaxStreams?: number;
    /** Scaled covers kept in the state dir's `covers/` up to this many bytes, and made ahead (streamd's default: 100 MiB); unset: none. */
    coverStoreBytes?: number;
    /** The ports to listen on (a daemon restarted where the last one was); else any free ones. */
    port?: number;
    udpPort?: number;
  } = {},
): Promise<TestDaemon> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-state-'));
  const log = options.log ?? silentLogger;
  const catalog = new Catalog(musicDir, path.join(stateDir, 'catalog.json'), log, {
    measureLoudness: options.measureLoudness ?? false,
  });
  await catalog.open();
  const stickers = await StickerStore.open(stateDir, log);
  const playlists = await PlaylistStore.open(path.join(stateDir, 'playlists'), options.playlistSuffix);
  const server = createStreamd(
    {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      udpPort: options.udpPort ?? 0,
      radio: { ...DEFAULT_RADIO, ...options.radio },
      udp: { ...DEFAULT_UDP, ...options.udp },
      // Every test device registers from 127.0.0.1 and tests call fast: the per-address cap and the
      // flood limits are lifted unless a test sets them.
      calls: {
        ...DEFAULT_CALLS,
        max_per_address: 100_000,
        calls_per_minute: 100_000,
        rings_per_minute: 100_000,
        ...options.calls,
      },
      // Every test client comes from 127.0.0.1: the per-address limit is lifted unless a test sets it.
      limits: { ...DEFAULT_LIMITS, max_connections_per_address: 100_000, ...options.limits },
      password: options.password,
      ...(options.users
        ? {
            http: {
              port: 0,
              users: options.users,
              maxStreams: options.httpMaxStreams ?? 256,
              ...(options.coverStoreBytes && {
                coverStore: { dir: path.join(stateDir, 'covers'), maxBytes: options.coverStoreBytes },
              }),
            },
          }
        : {}),
      version: 'test',
    },
    { catalog, stickers, playlists, playQueues: await PlayQueueStore.open(stateDir), log },
  );
  const address = await server.listen();
  return {
    port: address.port,
    udpPort: server.services.udpPort,
    httpPort: server.services.httpPort,
    server,
    catalog,
    stateDir,
    async stop() {
      await server.close(500);
      await catalog.close();
      await stickers.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
