/**
 * One streamd, built in one place: the change bus, the device and call registries, the radio and
 * its Icecast sources, the song streams and the voice relay, the services the commands see; then
 * the two servers, which own sockets only, are connected to them. Building opens nothing:
 * `listen()` opens the TCP port, then the UDP one (tests listen on port 0).
 */
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_CALLS,
  DEFAULT_COVER_NAMES,
  type CallSettings,
  type RadioSettings,
  type UdpSettings,
} from '../common/config-schema.js';
import { DatagramType, type Datagram } from '../common/datagram/codec.js';
import type { Limits } from '../common/limits.js';
import { RateBucket, RateBuckets } from '../common/rate-bucket.js';
import { CallRegistry } from './calls/call-registry.js';
import { newVoiceCounters, VoiceRelay } from './calls/voice-relay.js';
import { BlockReader } from './catalog/block-reader.js';
import type { Catalog } from './catalog/catalog.js';
import { createCommandTable } from './commands/table.js';
import type { Services } from './commands/types.js';
import { DeviceRegistry } from './devices.js';
import { ChangeBus } from './events/change-bus.js';
import { RemoteInbox } from './remote-inbox.js';
import { coalesce, type Coalesced } from './events/coalesce.js';
import { IcecastSource } from './icecast/icecast-source.js';
import type { Logger } from './log.js';
import { Radio } from './radio/radio.js';
import { Activity } from './server/activity.js';
import { watchDescriptors } from './server/descriptors.js';
import { watchLoopDelay } from './server/loop-delay.js';
import { createTcpServer } from './server/tcp-server.js';
import { createUdpServer } from './server/udp-server.js';
import type { Peer } from './udp/udp-types.js';
import { SongStreams } from './udp/song-streams.js';
import type { StickerStore } from './stickers/sticker-store.js';
import type { PlaylistStore } from './playlists/playlist-store.js';
import { Artwork } from './artwork/artwork.js';
import { EmbeddedReader } from './catalog/embedded-reader.js';
import { availableParallelism } from 'node:os';
import type { ApiUserSettings } from '../common/config-schema.js';
import { createHttpServer, type HttpServer } from './server/http-server.js';
import { ApiListeners } from './subsonic/api-listeners.js';
import { ApiAuth } from './subsonic/auth.js';
import { LibraryViews } from './subsonic/library-view.js';
import { MediaServer } from './subsonic/media-server.js';
import type { PlayQueueStore } from './playlists/play-queue-store.js';
import { SubsonicApi } from './subsonic/subsonic-api.js';
import { daemonClockMs } from './commands/session-commands.js';

/** How often unanswered rings time out and ended calls are forgotten. */
const CALL_TICK_MS = 500;
/** Wrong passwords one address may try a minute, and all addresses together: past them, none is checked. */
const PASSWORD_GUESSES_PER_MINUTE = 10;
const PASSWORD_GUESSES_IN_ALL_PER_MINUTE = 100;
/**
 * A connection's status changes are told at once up to a player's pace (a burst of 20, then 10 a
 * second); past it, at most one each STATUS_NOTIFY_MS more (the last never lost): a flood wakes an
 * idler at most 20 times a second.
 */
const STATUS_PACE_BURST = 20;
const STATUS_PACE_PER_SECOND = 10;
const STATUS_NOTIFY_MS = 100;
/** How often the UDP counters go to the log (when they changed). */
const UDP_LOG_EVERY_MS = 60_000;

export interface StreamdOptions {
  host: string;
  port: number;
  udpPort: number;
  radio: RadioSettings;
  udp: UdpSettings;
  /** Unset: the defaults. */
  calls?: CallSettings;
  /** File names (no extension) taken as an album's cover; unset: DEFAULT_COVER_NAMES. */
  coverNames?: readonly string[];
  limits: Limits;
  password?: string | undefined;
  /** The Subsonic API: its port (0: any free one, as for the others) and who may use it; unset: none. */
  http?: {
    port: number;
    users: readonly ApiUserSettings[];
    maxStreams: number;
    /** Where its scaled covers are kept on disk, and at most how many bytes; unset: nowhere. */
    coverStore?: { dir: string; maxBytes: number };
  };
  version: string;
}

export interface Streamd {
  readonly services: Services;
  /** Opens the TCP port, then the UDP one; resolves with the TCP address (`services.udpPort` has the other). */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, ends downloads with ERR shutting_down, and closes every connection within `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export function createStreamd(
  options: StreamdOptions,
  deps: {
    catalog: Catalog;
    stickers: StickerStore;
    playlists: PlaylistStore;
    playQueues: PlayQueueStore;
    log: Logger;
  },
): Streamd {
  const { catalog, stickers, playlists, playQueues, log } = deps;
  const udp = createUdpServer({ host: options.host, port: options.udpPort }, log);

  // Every change that `idle` can wait for is announced on the bus; a call's only to its parties.
  const changes = new ChangeBus();
  // The calls' clock (ring timeouts, ended calls forgotten) ticks only while one of them needs it.
  let callTimer: NodeJS.Timeout | undefined;
  const expireCalls = (): void => {
    calls.expire(new Date());
    if (calls.expiring) return;
    clearInterval(callTimer);
    callTimer = undefined;
  };
  const callSettings = options.calls ?? DEFAULT_CALLS;
  const calls = new CallRegistry(callSettings, (names) => {
    for (const name of names) changes.notify('calls', devices.connectionsOf(name));
    if (!callTimer && calls.expiring) {
      callTimer = setInterval(expireCalls, CALL_TICK_MS);
      callTimer.unref();
    }
  });
  // A connection's status changes wake idlers at once while they come at a player's pace; past it
  // (a client setting its status thousands of times a second) at most once per STATUS_NOTIFY_MS,
  // the last of a burst always told.
  const statusChanges = new Map<number, { pace: RateBucket; flood: Coalesced }>();
  const devicesChanged = (): void => changes.notify('devices');
  const remotes = new RemoteInbox();
  const devices = new DeviceRegistry(
    devicesChanged,
    (name) => {
      calls.deviceGone(name, new Date());
      remotes.forget(name);
    },
    (connectionId) => {
      let entry = statusChanges.get(connectionId);
      if (!entry) {
        const pace = new RateBucket(STATUS_PACE_PER_SECOND, STATUS_PACE_BURST);
        entry = { pace, flood: coalesce(devicesChanged, STATUS_NOTIFY_MS) };
        statusChanges.set(connectionId, entry);
      }
      if (entry.pace.take(Date.now())) devicesChanged();
      else entry.flood();
    },
  );
  const radio = new Radio(options.radio, options.udp.listener_timeout, catalog, udp.sendLive, udp.counters, log);
  const about = {
    name: 'streamd radio',
    description: 'the live programme of a streamd music library',
    userAgent: `streamd/${options.version}`,
  };
  const icecast = options.radio.enabled
    ? options.radio.icecast.map((target) => new IcecastSource(target, about, log, () => radio.outletChanged()))
    : [];
  for (const source of icecast) radio.outlets.add(source);
  const streams = new SongStreams(options.udp, udp.paced, udp.counters, log, radio.stream);
  // Voice is live too: a full queue drops it rather than delay it.
  const voice = new VoiceRelay(calls, newVoiceCounters(), udp.sendLive, callSettings.voice_packets_per_second);
  const loopDelay = watchLoopDelay();
  const descriptors = watchDescriptors(log);
  // Awake while something arrives or goes out; the watches sample only then (server/activity.ts).
  const activity = new Activity(
    () =>
      services.counters.downloadsActive > 0 ||
      streams.active > 0 ||
      radio.sending ||
      media.activeStreams > 0 ||
      catalog.state !== 'ready',
  );
  activity.add(loopDelay);
  activity.add(descriptors);
  catalog.onChange(() => changes.notify('catalog'));
  radio.onChange = () => changes.notify('radio');
  stickers.onChange(() => changes.notify('sticker'));
  playlists.onChange(() => changes.notify('stored_playlist'));

  const embedded = new EmbeddedReader();
  const artwork = new Artwork(embedded, options.coverNames ?? DEFAULT_COVER_NAMES);
  const media = new MediaServer(
    {
      maxStreams: options.http?.maxStreams ?? 256,
      maxTranscodes: 2 * availableParallelism(),
      ...(options.http?.coverStore && { coverStore: options.http.coverStore }),
    },
    log,
  );
  // Each version of a library the API serves has its covers made ahead, once it is ready.
  let coversAheadOf: number | undefined;
  const coversAhead = (): void => {
    if (catalog.state !== 'ready' || catalog.version === coversAheadOf) return;
    coversAheadOf = catalog.version;
    void media.coversAhead(catalog.songs(), artwork.coverNames);
  };
  if (options.http?.coverStore) {
    catalog.onChange(coversAhead);
    coversAhead(); // a catalog opened before the daemon was made
  }
  const services: Services = {
    version: options.version,
    catalog,
    blocks: new BlockReader(catalog),
    stickers,
    playlists,
    playQueues,
    apiUsers: options.http?.users.map((user) => user.name) ?? [],
    embedded,
    artwork,
    devices,
    remotes,
    calls,
    voiceCounters: voice.counters,
    changes,
    counters: {
      startedAt: new Date(),
      loopDelay,
      descriptors,
      connectionsAccepted: 0,
      connectionsRejected: 0,
      downloadsActive: 0,
      downloadsServed: 0,
      bytesSent: 0,
      outputQueued: () => 0, // the TCP server's, once it is made (below)
    },
    password: options.password || undefined,
    passwordGuesses: {
      fromAddress: new RateBuckets(PASSWORD_GUESSES_PER_MINUTE / 60, PASSWORD_GUESSES_PER_MINUTE),
      inAll: new RateBucket(PASSWORD_GUESSES_IN_ALL_PER_MINUTE / 60, PASSWORD_GUESSES_IN_ALL_PER_MINUTE),
    },
    log,
    radio,
    icecast,
    streams,
    udpCounters: udp.counters,
    udpFamily: udp.family,
    udpPort: options.udpPort,
    httpPort: undefined,
    httpStreams: () => media.activeStreams,
  };

  udp.receive((datagram: Datagram, from: Peer, size: number) => {
    activity.arrived();
    const { type } = datagram;
    if (type === DatagramType.VOICE || type === DatagramType.VOICE_REPORT) voice.handle(datagram, from);
    else if ((type === DatagramType.KEEPALIVE || type === DatagramType.LEAVE) && streams.owns(datagram.stream))
      streams.handle(datagram, from);
    else if (type === DatagramType.SUBSCRIBE || type === DatagramType.KEEPALIVE || type === DatagramType.LEAVE)
      radio.handle(datagram, from, size);
    else udp.counters.malformed++;
  });
  const tcp = createTcpServer(
    { host: options.host, port: options.port, limits: options.limits },
    {
      table: createCommandTable(),
      services,
      log,
      opened(session) {
        changes.subscribe(session.id);
        devices.connect(session.id, session.address, new Date());
      },
      closed(session) {
        statusChanges.get(session.id)?.flood.cancel();
        statusChanges.delete(session.id);
        changes.unsubscribe(session.id);
        devices.disconnect(session.id);
        streams.closeSession(session.id);
      },
      arrived: (light) => (light ? activity.arrivedLight() : activity.arrived()),
    },
  );

  services.counters.outputQueued = () => tcp.outputQueued();

  // The Subsonic API, on the same stores: what a phone stars, plays or saves, a player sees at once.
  // Its status pace is kept per connection id, as a TCP connection's is, and let go with its device.
  const listeners = new ApiListeners(devices, daemonClockMs, (connectionId) => {
    statusChanges.get(connectionId)?.flood.cancel();
    statusChanges.delete(connectionId);
  });
  let http: HttpServer | undefined;
  if (options.http) {
    const api = new SubsonicApi(
      {
        version: options.version,
        catalog,
        views: new LibraryViews(catalog),
        stickers,
        playlists,
        artwork,
        embedded,
        devices,
        listeners,
        playQueues,
        media,
        log,
      },
      new ApiAuth(options.http.users, services.passwordGuesses, log),
    );
    http = createHttpServer(
      {
        host: options.host,
        port: options.http.port,
        maxConnections: options.limits.max_connections * 4,
        idleTimeoutMs: options.limits.write_stall_timeout * 1000,
      },
      api,
      { type: 'streamd', serverVersion: options.version },
      log,
      () => activity.arrived(),
    );
  }

  let udpLogTimer: NodeJS.Timeout | undefined;
  let udpLogged = '';
  const logUdpCounters = (): void => {
    const c = udp.counters;
    const line = `udp: ${c.datagramsSent} datagrams sent, ${radio.status().listeners} listeners, ${c.rejected} rejected, ${c.malformed} malformed, ${streams.active} song streams, ${c.streamPauses} stream pauses, ${c.radioDropped} radio datagrams dropped`;
    if (line !== udpLogged) log.info(line);
    udpLogged = line;
  };

  return {
    services,
    async listen() {
      const address = await tcp.listen();
      try {
        services.udpPort = (await udp.listen()).port;
        if (http) services.httpPort = (await http.listen()).port;
      } catch (error) {
        await tcp.close(0);
        await udp.close();
        throw error;
      }
      udpLogTimer = setInterval(logUdpCounters, UDP_LOG_EVERY_MS);
      udpLogTimer.unref();
      for (const source of icecast) source.start();
      return address;
    },
    async close(graceMs = 4000) {
      const connectionsClosed = tcp.close(graceMs);
      clearInterval(udpLogTimer);
      for (const source of icecast) source.close();
      radio.close();
      streams.closeAll();
      logUdpCounters();
      await udp.close();
      await http?.close();
      media.close();
      listeners.close();
      await connectionsClosed;
      activity.stop();
      loopDelay.stop();
      descriptors.stop();
      await embedded.close();
      clearInterval(callTimer);
      for (const entry of statusChanges.values()) entry.flood.cancel();
    },
  };
}
