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
  /** Folder of MP3 and WAV files; null: a demo library is generated in the state dir. */
  music: string | null;
  host: string;
  port: number;
  udp_port: number;
  /** pid file, log and catalog cache; null: $XDG_STATE_HOME/streamd. */
  state_dir: string | null;
  /** null: no password. */
  password: string | null;
  log_level: LogLevel;
}

export const DEFAULT_SETTINGS: Readonly<DaemonSettings> = Object.freeze({
  music: null,
  host: '127.0.0.1',
  port: 9090,
  udp_port: 9191,
  state_dir: null,
  password: null,
  log_level: 'info',
  ...DEFAULT_LIMITS,
});

const integer = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });

/** Property schemas, in conf's `schema` form. Defaults are applied by us, so conf never rewrites a user's file. */
export const SETTINGS_SCHEMA = {
  music: { type: ['string', 'null'], minLength: 1 },
  host: { type: 'string', minLength: 1, maxLength: 255 },
  port: integer(0, 65535),
  udp_port: integer(0, 65535),
  state_dir: { type: ['string', 'null'], minLength: 1 },
  password: { type: ['string', 'null'], minLength: 1, maxLength: 1024 },
  log_level: { enum: ['debug', 'info', 'warn', 'error'] },
  max_line_bytes: integer(256, 1024 * 1024),
  max_connections: integer(1, 100_000),
  connection_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
  max_output_bytes: integer(64 * 1024, 1024 * 1024 * 1024),
  max_pipelined_commands: integer(1, 10_000),
  write_stall_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
} as const;

/** Keys starting with `//` are comments (config.example.json uses them); any other unknown key is a typo. */
export const SETTINGS_ROOT_SCHEMA = {
  patternProperties: { '^//': {} },
  additionalProperties: false,
} as const;
