/**
 * streamtui's settings: defaults, then the settings file (~/.config/streamtui/config.json, JSON
 * checked against the schema below), then the flags of this run. A flag applies to the run it is
 * given on; the file holds what the user wrote there, or what `--save` stored. A file that holds a
 * password is written owner-only, and one readable by others is refused (as ssh does with keys).
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfigText } from '../../common/config-schema.js';
import { flatSchemaProblem, type FieldRule } from '../../common/flat-schema.js';
import { secretFileProblem } from '../../common/secret-file.js';
import { DEVICE_NAME_RULE, deviceName } from '../../common/limits.js';
import { writeAtomically } from '../store/atomic-file.js';

export interface TuiSettings {
  host: string;
  port: number;
  name: string;
  /** The Subsonic API user (streamd's `users`) whose play queue H keeps and T takes up; default: the login name. */
  user: string;
  cache_dir: string;
  /** Bytes of blocks kept on disk; least recently played songs go first. */
  cache_max_bytes: number;
  audio: 'auto' | 'pulse' | 'speaker' | 'null';
  /** MP3 and FLAC decoded by the system's mpg123 and flac when installed (auto), or always by the player's own. */
  decoders: 'auto' | 'built-in';
  password: string | null;
  /** streamd's UDP port (radio, songs over UDP), or a relay's in front of it. */
  udp_port: number;
  /** How songs are fetched: tcp (`download`) or udp (`stream`, gaps repaired with `resend`). */
  transport: 'tcp' | 'udp';
  /** The radio's jitter buffer, ms: how long a datagram may be late or out of order and still play. */
  jitter_ms: number;
  /** Take calls from other devices (`register`); false: `--no-calls`. */
  calls: boolean;
  /** Do what other devices ask (`remote`: play, pause, volume, the queue); false: `--no-remote-control`. */
  remote_control: boolean;
  /** The microphone for calls: auto (PulseAudio if a server answers, else ALSA), pulse, alsa, none. */
  mic: 'auto' | 'pulse' | 'alsa' | 'none';
  /** Where the queue is kept across runs (and W writes without --queue-file). */
  state_dir: string;
  /** A shell command run at each new song, its fields in STREAMTUI_* variables (null: none). */
  on_song_change: string | null;
  /** Be an MPRIS player on the session D-Bus (media keys, playerctl). */
  mpris: boolean;
  /** ReplayGain from the songs' tags: off, track, album, or auto (album while its album plays in order). */
  replaygain: 'off' | 'track' | 'album' | 'auto';
  /** dB added to the tagged gain. */
  replaygain_preamp: number;
  /** Quitting while a song plays: ask whether it plays on without a screen, always hand it over, or never. */
  keep_playing: 'ask' | 'always' | 'never';
}

const SCHEMA = {
  host: { type: 'string', minLength: 1 },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  name: { type: 'string', minLength: 1 }, // and a device name (common/limits.ts), said in words below
  user: { type: 'string', minLength: 1, maxLength: 64 },
  cache_dir: { type: 'string', minLength: 1 },
  cache_max_bytes: { type: 'integer', minimum: 1048576 },
  audio: { enum: ['auto', 'pulse', 'speaker', 'null'] },
  decoders: { enum: ['auto', 'built-in'] },
  password: { type: ['string', 'null'] },
  udp_port: { type: 'integer', minimum: 1, maximum: 65535 },
  transport: { enum: ['tcp', 'udp'] },
  jitter_ms: { type: 'integer', minimum: 20, maximum: 5000 },
  calls: { type: 'boolean' },
  remote_control: { type: 'boolean' },
  mic: { enum: ['auto', 'pulse', 'alsa', 'none'] },
  state_dir: { type: 'string', minLength: 1 },
  on_song_change: { type: ['string', 'null'] },
  mpris: { type: 'boolean' },
  replaygain: { enum: ['off', 'track', 'album', 'auto'] },
  replaygain_preamp: { type: 'number', minimum: -15, maximum: 15 },
  keep_playing: { enum: ['ask', 'always', 'never'] },
} as const satisfies Record<keyof TuiSettings, FieldRule>;

/** The host name as a device name (a host name's letters, digits, dots and hyphens all are). */
export function defaultDeviceName(): string {
  return (
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 64) || 'streamtui'
  );
}

function defaults(): TuiSettings {
  const cacheBase = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  const stateBase = process.env['XDG_STATE_HOME'] || path.join(os.homedir(), '.local', 'state');
  return {
    host: '127.0.0.1',
    port: 9090,
    name: defaultDeviceName(),
    user: os.userInfo().username,
    cache_dir: path.join(cacheBase, 'streamtui'),
    cache_max_bytes: 2 * 1024 ** 3,
    audio: 'auto',
    decoders: 'auto',
    password: null,
    udp_port: 9191,
    transport: 'tcp',
    jitter_ms: 300,
    calls: true,
    remote_control: true,
    mic: 'auto',
    state_dir: path.join(stateBase, 'streamtui'),
    on_song_change: null,
    mpris: true,
    replaygain: 'auto',
    replaygain_preamp: 0,
    keep_playing: 'ask',
  };
}

/** The settings file: `--config FILE`, or config.json in streamtui's folder of $XDG_CONFIG_HOME. */
function settingsFile(configFile?: string): string {
  if (configFile) return path.resolve(configFile);
  return path.join(process.env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config'), 'streamtui', 'config.json');
}

/**
 * What the settings file holds (none: no file), checked against the schema.
 * @throws Error naming the file and the key when it does not read or a value does not fit.
 */
function readSettingsFile(file: string): Partial<TuiSettings> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`settings file ${file}: ${(error as Error).message}`);
  }
  let stored: Record<string, unknown>;
  try {
    stored = readConfigText(text);
  } catch (error) {
    throw new Error(`settings file ${file}: ${(error as Error).message}`);
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
    throw new Error(`settings file ${file}: not a JSON object of settings`);
  const wrong = flatSchemaProblem(SCHEMA, stored);
  if (wrong) throw new Error(`settings file ${file}: ${wrong.key} ${wrong.problem}`);
  return stored as Partial<TuiSettings>;
}

/**
 * Settings for this run: defaults, the file, then `given` (this run's flags). With `save`, the
 * flags are also stored in the file for later runs.
 * @throws Error naming the field when a value does not fit the schema, or when the file holds a
 *   password and others can read it.
 */
export function loadSettings(given: Partial<TuiSettings>, configFile?: string, save = false): TuiSettings {
  const file = settingsFile(configFile);
  const stored = readSettingsFile(file);
  const mode = statSync(file, { throwIfNoEntry: false })?.mode;
  const problem = mode === undefined ? undefined : secretFileProblem(file, mode, typeof stored.password === 'string');
  if (problem) throw new Error(problem);
  const wanted = Object.fromEntries(
    Object.entries(given).filter(([, value]) => value !== undefined),
  ) as Partial<TuiSettings>;
  const wrong = flatSchemaProblem(SCHEMA, wanted);
  if (wrong) throw new Error(`--${wrong.key.replaceAll('_', '-')} ${wrong.problem}`);
  const settings = { ...defaults(), ...stored, ...wanted };
  const name = deviceName(settings.name);
  if (name === undefined) {
    const from = wanted.name === undefined ? `settings file ${file}: name` : '--name';
    throw new Error(`${from} '${settings.name}': a device name is ${DEVICE_NAME_RULE}`);
  }
  // Indented with tabs, as earlier versions wrote it: a diff of the file shows only what changed.
  if (save && Object.keys(wanted).length > 0)
    writeAtomically(file, JSON.stringify({ ...stored, ...wanted }, null, '\t'));
  return { ...settings, name };
}

/**
 * The user's key bindings (keys.json beside the settings file): `{ "x": "stop", "s": "none" }`.
 * No file is no bindings of one's own.
 * @throws Error naming the file when it is not a JSON object.
 */
export function loadKeyBindings(configFile?: string): { file: string; entries: Record<string, unknown> } {
  const dir = configFile
    ? path.dirname(path.resolve(configFile))
    : path.join(process.env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config'), 'streamtui');
  const file = path.join(dir, 'keys.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { file, entries: {} };
  }
  try {
    const entries = readConfigText(text);
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries))
      throw new Error('not a JSON object of keys and commands');
    return { file, entries };
  } catch (error) {
    throw new Error(`key bindings ${file}: ${(error as Error).message}`);
  }
}
