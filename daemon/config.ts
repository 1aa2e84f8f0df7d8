/**
 * Loads the daemon's settings: defaults, then the config file (through conf, which validates it
 * with the schema), then command-line options; the result is validated again so that a bad value
 * from either place stops start-up with the field's name.
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import Conf from 'conf';
import {
  DEFAULT_SETTINGS,
  readConfigText,
  SETTINGS_ROOT_SCHEMA,
  SETTINGS_SCHEMA,
  type DaemonSettings,
} from '../common/config-schema.js';
import type { Limits } from '../common/limits.js';
import { SECRET_FILE_MODE, secretFileProblem } from '../common/secret-file.js';

export interface DaemonConfig extends DaemonSettings {
  /** The music folders, resolved; null: the demo library. */
  music: string[] | null;
  state_dir: string;
  playlist_dir: string;
  /** The config file that was read, if any. */
  configFile: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const validate = new Ajv.default({ allErrors: true }).compile({
  type: 'object',
  properties: SETTINGS_SCHEMA,
  ...SETTINGS_ROOT_SCHEMA,
});

function describeErrors(): string {
  return (validate.errors ?? [])
    .map((error) => {
      const field = error.instancePath.slice(1).replaceAll('/', '.');
      if (error.keyword === 'additionalProperties')
        return `unknown setting '${String(error.params['additionalProperty'])}'`;
      return `\`${field}\` ${error.message ?? 'is invalid'}`;
    })
    .join('; ');
}

export function defaultStateDir(): string {
  const base = process.env['XDG_STATE_HOME'] || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'streamd');
}

function readConfigFile(file: string | undefined): { store: Record<string, unknown>; path: string | undefined } {
  try {
    if (file) {
      if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
      const json = path.extname(file) === '.json';
      const conf = new Conf<Record<string, unknown>>({
        cwd: path.dirname(path.resolve(file)),
        configName: json ? path.basename(file, '.json') : path.basename(file),
        fileExtension: json ? 'json' : '',
        schema: SETTINGS_SCHEMA as never,
        accessPropertiesByDotNotation: false,
        deserialize: readConfigText,
      });
      return { store: conf.store, path: conf.path };
    }
    const conf = new Conf<Record<string, unknown>>({
      projectName: 'streamd',
      projectSuffix: '',
      schema: SETTINGS_SCHEMA as never,
      accessPropertiesByDotNotation: false,
      deserialize: readConfigText,
    });
    return { store: conf.store, path: existsSync(conf.path) ? conf.path : undefined };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`config file: ${(error as Error).message}`);
  }
}

/**
 * @example loadDaemonConfig({ port: 0, music: '/srv/music' }, undefined)
 * @throws ConfigError naming the field.
 */
export function loadDaemonConfig(
  overrides: Partial<DaemonSettings>,
  configFile: string | undefined,
  icecastUrls: readonly string[] = [],
): DaemonConfig {
  const file = readConfigFile(configFile);
  if (file.path) {
    const password = file.store['password'];
    const users = file.store['users'];
    const problem = secretFileProblem(
      file.path,
      statSync(file.path).mode,
      (typeof password === 'string' && password !== '') || (Array.isArray(users) && users.length > 0),
    );
    if (problem) throw new ConfigError(problem);
  }
  const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS, ...file.store };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  // Sections are merged key by key: a file that sets radio.loop keeps the other radio defaults.
  for (const section of ['radio', 'udp', 'calls'] as const) {
    const given = merged[section];
    if (typeof given === 'object' && given !== null && !Array.isArray(given))
      merged[section] = { ...DEFAULT_SETTINGS[section], ...given };
  }
  // --icecast-url adds targets to the file's.
  const radio = merged['radio'] as { icecast?: unknown };
  if (icecastUrls.length > 0 && Array.isArray(radio.icecast))
    radio.icecast = [...(radio.icecast as unknown[]), ...icecastUrls.map((url) => ({ url }))];
  if (!validate(merged)) throw new ConfigError(`invalid settings: ${describeErrors()}`);
  for (const key of Object.keys(merged)) if (key.startsWith('//')) delete merged[key];
  for (const section of [merged['radio'], merged['udp'], merged['calls']] as Array<Record<string, unknown>>) {
    for (const key of Object.keys(section)) if (key.startsWith('//')) delete section[key];
  }
  const settings = merged as unknown as DaemonSettings;
  const resolveDir = (dir: string): string => path.resolve(file.path ? path.dirname(file.path) : process.cwd(), dir);
  const stateDir = settings.state_dir === null ? defaultStateDir() : resolveDir(settings.state_dir);
  return {
    ...settings,
    music:
      settings.music === null
        ? null
        : (typeof settings.music === 'string' ? [settings.music] : settings.music).map(resolveDir),
    state_dir: stateDir,
    playlist_dir: settings.playlist_dir === null ? path.join(stateDir, 'playlists') : resolveDir(settings.playlist_dir),
    log_file: settings.log_file === null ? null : resolveDir(settings.log_file),
    configFile: file.path,
  };
}

export function limitsOf(config: DaemonSettings): Limits {
  const {
    max_line_bytes,
    max_connections,
    max_connections_per_address,
    auth_timeout,
    connection_timeout,
    max_output_bytes,
    max_output_bytes_total,
    max_pipelined_commands,
    max_pipelined_bytes,
    write_stall_timeout,
  } = config;
  return {
    max_line_bytes,
    max_connections,
    max_connections_per_address,
    auth_timeout,
    connection_timeout,
    max_output_bytes,
    max_output_bytes_total,
    max_pipelined_commands,
    max_pipelined_bytes,
    write_stall_timeout,
  };
}

/**
 * `streamd config --music DIR ...`: the given settings written into the config file (the default
 * one, or `configFile`), the others kept, so that they last beyond one run; the file is made
 * readable by its owner alone (it may hold the password). Checked as a run would check them first.
 * @returns the file written
 */
export function saveDaemonSettings(settings: Partial<DaemonSettings>, configFile: string | undefined): string {
  const given = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
  loadDaemonConfig(given, configFile); // refuses what a run would refuse, naming the field
  try {
    const json = configFile !== undefined && path.extname(configFile) === '.json';
    const conf = new Conf<Record<string, unknown>>({
      ...(configFile
        ? {
            cwd: path.dirname(path.resolve(configFile)),
            configName: json ? path.basename(configFile, '.json') : path.basename(configFile),
            fileExtension: json ? 'json' : '',
          }
        : { projectName: 'streamd', projectSuffix: '' }),
      schema: SETTINGS_SCHEMA as never,
      accessPropertiesByDotNotation: false,
      deserialize: readConfigText,
      configFileMode: SECRET_FILE_MODE,
    });
    conf.set(given);
    chmodSync(conf.path, SECRET_FILE_MODE);
    return conf.path;
  } catch (error) {
    throw new ConfigError(`config file: ${(error as Error).message}`);
  }
}
