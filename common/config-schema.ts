/**
 * The daemon's settings: JSON schema (validated through conf for the file, and again for the file
 * merged with command-line options) and defaults. config.example.json shows every key.
 */
import { DEFAULT_LIMITS, type Limits } from './limits.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * @example { "music": "/srv/music", "port": 9090, "max_connections": 64 }
 */
export interface DaemonSettings extends Limits {
  /**
   * Folder of songs (MP3, WAV, FLAC, Ogg, Opus, M4A), or a list of them (each song's path then
   * starts with its folder's name); null: a demo library is generated in the state dir.
   */
  music: string | readonly string[] | null;
  /** Songs without ReplayGain tags get their loudness measured (EBU R128) in the background after a scan. */
  measure_loudness: boolean;
  host: string;
  port: number;
  udp_port: number;
  /** pid file, log, catalog cache and the songs' stickers; null: $XDG_STATE_HOME/streamd. */
  state_dir: string | null;
  /** Stored playlists, one M3U8 file each; null: `playlists` in the state dir. */
  playlist_dir: string | null;
  /** What new playlist files are named with: `.m3u8`, or `.m3u` for a folder MPD shares (it reads no other); both are read. */
  playlist_suffix: '.m3u8' | '.m3u';
  /** File names (without extension, any case) taken as an album's cover in its folder, in order of preference. */
  cover_names: readonly string[];
  /** null: no password. */
  password: string | null;
  /** The Subsonic API's HTTP port (docs/http-api.md); 0: none. Opened only when `users` has someone to let in. */
  http_port: number;
  /** Who may use the Subsonic API. */
  users: readonly ApiUserSettings[];
  /** Songs the Subsonic API sends at once (past it, error 0: busy). */
  http_max_streams: number;
  /**
   * Covers the Subsonic API scaled, kept in the state dir (`covers/`) up to this many MiB, and made
   * ahead at 300 pixels after a scan; 0: none kept, none made ahead.
   */
  cover_cache_mb: number;
  log_level: LogLevel;
  /** Where `run` logs; null: stderr (the journal under systemd). `start` logs to streamd.log in the state dir. */
  log_file: string | null;
  /** A log file this large is rotated (streamd.log -> streamd.log.1 ...). */
  log_max_bytes: number;
  /** Rotated log files kept besides the current one. */
  log_files_kept: number;
  radio: RadioSettings;
  udp: UdpSettings;
  calls: CallSettings;
}

/** A user of the Subsonic API. @example { "name": "alice", "password": "correct horse", "api_key": "..." } */
export interface ApiUserSettings {
  name: string;
  password: string;
  /** OpenSubsonic's API key, for clients that log in with one instead (at least 16 characters). */
  api_key?: string;
}

/** Voice calls between devices (docs/protocol.md, Calls). */
export interface CallSettings {
  /** Calls ringing or active at once; a further `call` answers `ERR busy`. */
  max: number;
  /** Calls ringing or active at once with a party registered from one IP address. */
  max_per_address: number;
  /** Calls a device, or the devices of one IP address together, may start a minute. */
  calls_per_minute: number;
  /** Times a device may be rung a minute, by all callers together. */
  rings_per_minute: number;
  /** An answered call in which neither party sent voice for this long ends (`reason: silent`), seconds. */
  silent_timeout: number;
  /** VOICE and VOICE_REPORT datagrams relayed for one party a second (a call needs about 51). */
  voice_packets_per_second: number;
}

export const DEFAULT_CALLS: Readonly<CallSettings> = Object.freeze({
  max: 32,
  max_per_address: 8,
  calls_per_minute: 10,
  rings_per_minute: 10,
  silent_timeout: 60,
  voice_packets_per_second: 100,
});

/** The live programme (docs/protocol.md, UDP). */
export interface RadioSettings {
  enabled: boolean;
  /** Songs (ids, paths or names, as `download` takes them), in order; null: the whole library in catalog order. */
  playlist: string[] | null;
  max_listeners: number;
  /** Milliseconds between two rounds of sending: each round sends the frames whose time has come. */
  interval_ms: number;
  /** Start again from the first song after the last; false: the programme ends (END) after it. */
  loop: boolean;
  /** kbit/s of the MP3 that WAV songs are encoded to for the radio. */
  encode_kbps: number;
  /** Icecast servers the programme is sent to as a source (their relays carry it further). */
  icecast: IcecastTargetSettings[];
}

/**
 * One Icecast mount to feed.
 * @example { "url": "http://radio.example.net:8000/streamd.mp3", "password": "hackme" }
 */
export interface IcecastTargetSettings {
  /** `http://host:port/mount`; a user and password in it are taken when not given apart. */
  url: string;
  /** Default `source`. */
  user?: string;
  password?: string;
}

/** Limits of the UDP side. */
export interface UdpSettings {
  /** Pacing of a song sent with `stream` (and its resends), kbit/s. */
  stream_rate_kbps: number;
  /** Seconds a radio listener may be silent (no KEEPALIVE) before it is dropped. */
  listener_timeout: number;
  /** Song streams kept per TCP connection (for `resend`); the oldest goes first. */
  max_streams_per_connection: number;
  /** Song streams to one client IP at once, over all its connections; beyond it `ERR busy`. */
  max_streams_per_address: number;
  /** Song streams at once in all; beyond it `ERR busy`. */
  max_streams: number;
}

export const DEFAULT_RADIO: Readonly<RadioSettings> = Object.freeze({
  enabled: true,
  playlist: null,
  max_listeners: 64,
  interval_ms: 20,
  loop: true,
  encode_kbps: 128,
  icecast: [],
});

export const DEFAULT_UDP: Readonly<UdpSettings> = Object.freeze({
  stream_rate_kbps: 16_000,
  listener_timeout: 15,
  max_streams_per_connection: 4,
  max_streams_per_address: 16,
  max_streams: 256,
});

/** An album's cover file in its folder: these names with an image's extension, in any case. */
export const DEFAULT_COVER_NAMES: readonly string[] = Object.freeze(['cover', 'folder', 'front', 'albumart', 'album']);

export const DEFAULT_SETTINGS: Readonly<DaemonSettings> = Object.freeze({
  music: null,
  measure_loudness: true,
  host: '127.0.0.1',
  port: 9090,
  udp_port: 9191,
  state_dir: null,
  playlist_dir: null,
  playlist_suffix: '.m3u8',
  cover_names: DEFAULT_COVER_NAMES,
  password: null,
  http_port: 4533,
  users: [],
  http_max_streams: 256,
  cover_cache_mb: 100,
  log_level: 'info',
  log_file: null,
  log_max_bytes: 10 * 1024 * 1024,
  log_files_kept: 3,
  radio: DEFAULT_RADIO,
  udp: DEFAULT_UDP,
  calls: DEFAULT_CALLS,
  ...DEFAULT_LIMITS,
});

const integer = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });

/** Property schemas, in conf's `schema` form. Defaults are applied by us, so conf never rewrites a user's file. */
export const SETTINGS_SCHEMA = {
  music: {
    anyOf: [
      { type: 'null' },
      { type: 'string', minLength: 1 },
      { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1 } },
    ],
  },
  measure_loudness: { type: 'boolean' },
  host: { type: 'string', minLength: 1, maxLength: 255 },
  port: integer(0, 65535),
  udp_port: integer(0, 65535),
  state_dir: { type: ['string', 'null'], minLength: 1 },
  playlist_dir: { type: ['string', 'null'], minLength: 1 },
  playlist_suffix: { enum: ['.m3u8', '.m3u'] },
  cover_names: {
    type: 'array',
    maxItems: 32,
    items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^/\\\\]+$' },
  },
  password: { type: ['string', 'null'], minLength: 1, maxLength: 1024 },
  http_port: integer(0, 65535),
  users: {
    type: 'array',
    maxItems: 1000,
    items: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f]+$' },
        password: { type: 'string', minLength: 1, maxLength: 1024 },
        api_key: { type: 'string', minLength: 16, maxLength: 256 },
      },
      required: ['name', 'password'],
      additionalProperties: false,
    },
  },
  http_max_streams: integer(1, 100_000),
  cover_cache_mb: integer(0, 1024 * 1024),
  log_level: { enum: ['debug', 'info', 'warn', 'error'] },
  log_file: { type: ['string', 'null'], minLength: 1 },
  log_max_bytes: integer(4096, 1024 * 1024 * 1024),
  log_files_kept: integer(1, 100),
  max_line_bytes: integer(256, 1024 * 1024),
  max_connections: integer(1, 100_000),
  max_connections_per_address: integer(1, 100_000),
  auth_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
  connection_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
  max_output_bytes: integer(64 * 1024, 1024 * 1024 * 1024),
  max_output_bytes_total: integer(1024 * 1024, 64 * 1024 * 1024 * 1024),
  max_pipelined_commands: integer(1, 10_000),
  max_pipelined_bytes: integer(4096, 64 * 1024 * 1024),
  write_stall_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
  radio: {
    type: 'object',
    properties: {
      enabled: { type: 'boolean' },
      playlist: { type: ['array', 'null'], items: { type: 'string', minLength: 1 }, maxItems: 100_000 },
      max_listeners: integer(0, 100_000),
      interval_ms: integer(1, 1000),
      loop: { type: 'boolean' },
      encode_kbps: { enum: [64, 96, 112, 128, 160, 192, 224, 256, 320] },
      icecast: {
        type: 'array',
        maxItems: 16,
        items: {
          type: 'object',
          properties: {
            url: { type: 'string', pattern: '^http://[^/]+/.+' },
            user: { type: 'string', minLength: 1, maxLength: 256 },
            password: { type: 'string', maxLength: 1024 },
          },
          required: ['url'],
          additionalProperties: false,
        },
      },
    },
    patternProperties: { '^//': {} },
    additionalProperties: false,
  },
  udp: {
    type: 'object',
    properties: {
      stream_rate_kbps: integer(64, 10_000_000),
      listener_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
      max_streams_per_connection: integer(1, 64),
      max_streams_per_address: integer(1, 10_000),
      max_streams: integer(1, 100_000),
    },
    patternProperties: { '^//': {} },
    additionalProperties: false,
  },
  calls: {
    type: 'object',
    properties: {
      max: integer(0, 100_000),
      max_per_address: integer(1, 100_000),
      calls_per_minute: integer(1, 100_000),
      rings_per_minute: integer(1, 100_000),
      silent_timeout: { type: 'number', minimum: 1, maximum: 86_400 },
      voice_packets_per_second: integer(60, 100_000),
    },
    patternProperties: { '^//': {} },
    additionalProperties: false,
  },
} as const;

/** Keys starting with `//` are comments (config.example.json uses them); any other unknown key is a typo. */
export const SETTINGS_ROOT_SCHEMA = {
  patternProperties: { '^//': {} },
  additionalProperties: false,
} as const;

/**
 * How a config file is read: JSON, and an empty file (or one of white space) as no settings, as a
 * user who just made it expects. Bad JSON is said with the file's name by the caller.
 */
export function readConfigText(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new SyntaxError(`not valid JSON (${(error as Error).message})`);
  }
}
