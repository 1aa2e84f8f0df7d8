/**
 * streamtui's settings, kept through conf (~/.config/streamtui/config.json): what was given on
 * the command line is remembered for the next start.
 */
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';

export interface TuiSettings {
  host: string;
  port: number;
  name: string;
  cache_dir: string;
  /** Bytes of blocks kept on disk; least recently played songs go first. */
  cache_max_bytes: number;
  audio: 'auto' | 'speaker' | 'null';
  password: string | null;
  /** streamd's UDP port (radio, songs over UDP), or a relay's in front of it. */
  udp_port: number;
  /** How songs are fetched: tcp (`download`) or udp (`stream`, gaps repaired with `resend`). */
  transport: 'tcp' | 'udp';
  /** The radio's jitter buffer, ms: how long a datagram may be late or out of order and still play. */
  jitter_ms: number;
}

const SCHEMA = {
  host: { type: 'string', minLength: 1 },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
  cache_dir: { type: 'string', minLength: 1 },
  cache_max_bytes: { type: 'integer', minimum: 1048576 },
  audio: { enum: ['auto', 'speaker', 'null'] },
  password: { type: ['string', 'null'] },
  udp_port: { type: 'integer', minimum: 1, maximum: 65535 },
  transport: { enum: ['tcp', 'udp'] },
  jitter_ms: { type: 'integer', minimum: 20, maximum: 5000 },
} as const;

/** The host name as a device name: `hello` takes A-Z a-z 0-9 . _ - only. */
export function defaultDeviceName(): string {
  return os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'streamtui';
}

function defaults(): TuiSettings {
  const cacheBase = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return {
    host: '127.0.0.1',
    port: 9090,
    name: defaultDeviceName(),
    cache_dir: path.join(cacheBase, 'streamtui'),
    cache_max_bytes: 2 * 1024 ** 3,
    audio: 'auto',
    password: null,
    udp_port: 9191,
    transport: 'tcp',
    jitter_ms: 300,
  };
}

/**
 * Settings: defaults, then the stored ones, then `given` (which are stored for next time).
 * @throws Error naming the field when a value does not fit the schema.
 */
export function loadSettings(given: Partial<TuiSettings>, configFile?: string): TuiSettings {
  const options = configFile
    ? { cwd: path.dirname(path.resolve(configFile)), configName: path.basename(configFile, '.json') }
    : { projectName: 'streamtui', projectSuffix: '' };
  const conf = new Conf<Partial<TuiSettings>>({ ...options, schema: SCHEMA as never, accessPropertiesByDotNotation: false });
  const wanted = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as Partial<TuiSettings>;
  if (Object.keys(wanted).length > 0) conf.set(wanted);
  return { ...defaults(), ...conf.store };
}
