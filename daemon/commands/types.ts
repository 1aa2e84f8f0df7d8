/** What a command handler is given and what it is: one row of the command table. */
import type { SongFormat } from '../../common/protocol/records.js';
import type { RateBucket, RateBuckets } from '../../common/rate-bucket.js';
import type { CallRegistry } from '../calls/call-registry.js';
import type { VoiceCounters } from '../calls/voice-relay.js';
import type { Catalog } from '../catalog/catalog.js';
import type { BlockReader } from '../catalog/block-reader.js';
import type { DeviceRegistry } from '../devices.js';
import type { RemoteInbox } from '../remote-inbox.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { IcecastSource } from '../icecast/icecast-source.js';
import type { Radio } from '../radio/radio.js';
import type { UdpCounters } from '../udp/udp-types.js';
import type { SongStreams } from '../udp/song-streams.js';
import type { Logger } from '../log.js';
import type { StickerStore } from '../stickers/sticker-store.js';
import type { PlaylistStore } from '../playlists/playlist-store.js';
import type { PlayQueueStore } from '../playlists/play-queue-store.js';
import type { Artwork } from '../artwork/artwork.js';
import type { EmbeddedReader } from '../catalog/embedded-reader.js';

/** Output to one client. `write` waits while the client's queue is full (backpressure). */
export interface Output {
  write(data: string | Buffer): Promise<void>;
}

export interface Session {
  readonly id: number;
  /** `ip:port` of the peer. */
  readonly address: string;
  authorized: boolean;
  /** Wrong passwords given on this connection: each costs a longer wait, a few close it. */
  passwordFailures: number;
  /** Set by `quit`: the connection closes once the answer is written. */
  closeAfterReply: boolean;
  /** The formats of the songs this client is sent: the contract's until `formats` says more. */
  formats: ReadonlySet<SongFormat>;
}

export interface ServerCounters {
  startedAt: Date;
  /** The event loop's delay over the last minute, ms. */
  loopDelay: { p99(): number; max(): number };
  /** Open file descriptors, the limit, and where EMFILE/ENFILE are reported (server/descriptors.ts). */
  descriptors: { open(): number; limit(): number; failed(code: string | undefined, what: string): void };
  connectionsAccepted: number;
  connectionsRejected: number;
  downloadsActive: number;
  downloadsServed: number;
  bytesSent: number;
  /** Bytes queued for clients now, over every connection (max_output_bytes_total bounds it). */
  outputQueued(): number;
}

/** What the daemon shares with every handler. */
export interface Services {
  version: string;
  catalog: Catalog;
  blocks: BlockReader;
  /** Ratings, favourites and play counts (and a client's own stickers), per song. */
  stickers: StickerStore;
  /** Stored playlists (M3U8 files in their folder). */
  playlists: PlaylistStore;
  /** Each API user's play queue (`savePlayQueue`, `saveplayqueue`). */
  playQueues: PlayQueueStore;
  /** The names of the Subsonic API's users: whose play queues are kept. */
  apiUsers: readonly string[];
  /** Songs' pictures, from their tags or their folders. */
  artwork: Artwork;
  /** Reads what songs' tags carry beyond their records (pictures, lyrics), off the event loop. */
  embedded: EmbeddedReader;
  devices: DeviceRegistry;
  /** Remote commands waiting for their devices (`remote`, `remotes`). */
  remotes: RemoteInbox;
  /** Who has heard of which change (`idle`). */
  changes: ChangeBus;
  counters: ServerCounters;
  /** Unset when the daemon has no password. */
  password: string | undefined;
  /** The daemon's log, for events an operator (or fail2ban) must see: refused passwords. */
  log: Logger;
  radio: Radio;
  /** The programme's Icecast sources (config radio.icecast). */
  icecast: readonly IcecastSource[];
  streams: SongStreams;
  udpCounters: UdpCounters;
  udpFamily: 'udp4' | 'udp6';
  calls: CallRegistry;
  voiceCounters: VoiceCounters;
  /** Wrong passwords left to guess, per address and in all (docs/protocol.md, Password). */
  passwordGuesses: { fromAddress: RateBuckets; inAll: RateBucket };
  /** The UDP port the daemon listens on (known once it listens). */
  udpPort: number;
  /** The Subsonic API's HTTP port once it listens; undefined: none (no users, or port 0). */
  httpPort: number | undefined;
  /** Songs the Subsonic API is sending now. */
  httpStreams: () => number;
}

export interface CommandContext {
  session: Session;
  out: Output;
  /** Aborted when the connection closes or the daemon stops; long handlers check it. */
  signal: AbortSignal;
  /** Aborted when the client sends another line while this command runs (it ends an `idle`). */
  interrupted: AbortSignal;
  services: Services;
}

/**
 * One command of the one command table (argument counts are checked in one place, dispatch.ts).
 *
 * @example
 *   { name: 'ping', aliases: [], minArgs: 0, maxArgs: 0, usage: 'ping', summary: 'answers OK',
 *     open: true, run: async (ctx) => ctx.out.write('OK\n') }
 */
export interface Command {
  /** One or two words, lower case (`lista dispositivos`). */
  name: string;
  aliases: readonly string[];
  minArgs: number;
  maxArgs: number;
  /** Takes the rest of the line as one raw argument instead of quoted arguments. */
  rest?: boolean;
  /** Allowed before the password is given. */
  open?: boolean;
  /**
   * Answered from what the daemon holds, with no work behind it (a keep-alive, a clock round trip,
   * waiting in `idle`): it does not wake the daemon's watches (server/activity.ts), which an idle
   * player's every 30-45 s did for 10 s each; a flood of them does.
   */
  light?: boolean;
  usage: string;
  summary: string;
  run(ctx: CommandContext, args: string[]): Promise<void>;
}
