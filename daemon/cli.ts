#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=32768 node --max-semi-space-size=2 --expose-gc
/**
 * The `streamd` command: run | start | stop | status | restart | config. Node is started as
 * DAEMON_RUNTIME (service.ts) says, for a daemon's footprint rather than a server farm's.
 */
import '../common/runtime/exit-deadlock.js';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonSettings } from '../common/config-schema.js';
import { VERSION } from '../common/version.js';
import { parseCatalogStats, scanText } from '../common/protocol/replies.js';
import { queryStats } from './stats-query.js';
import { ConfigError, loadDaemonConfig, saveDaemonSettings, type DaemonConfig } from './config.js';
import { logFileOf, runningDaemon, runningPid, startInBackground, stopProcess } from './service.js';

const USAGE = `usage: streamd <command> [options]

commands:
  run        run in the foreground (log to stderr)
  start      start in the background (pid and log files in the state dir)
  stop       stop the background daemon
  status     exit 0 and print "running" when the daemon runs; exit 3 when not
  restart    stop, then start
  config     write the options given with it into the config file, so that they last
             (streamd config --music ~/Music); alone, say which file and what it holds

options (each also a key of the config file, see config.example.json):
  --config FILE            config file (default: ~/.config/streamd/config.json)
  --music DIR              music folder (default: none, a demo library is generated);
                           given again, several folders, each song's path starting
                           with its folder's name
  --host HOST              address to listen on (default 127.0.0.1)
  --port N                 TCP port (default 9090)
  --udp-port N             UDP port (default 9191)
  --http-port N            the Subsonic API's HTTP port (default 4533; 0: none), opened
                           when the config file has users (docs/http-api.md)
  --state-dir DIR          pid file, log, catalog cache (default $XDG_STATE_HOME/streamd)
  --max-connections N      connections at once (default 256)
  --max-connections-per-address N
                           connections at once from one IP address (default 32)
  --password SECRET        require "password SECRET" before other commands
  --log-level LEVEL        debug | info | warn | error (default info)
  --log-file FILE          log there, rotated by size (run: default stderr; start: streamd.log
                           in the state dir)
  --no-measure-loudness    leave songs without ReplayGain tags unmeasured (default: measured
                           after a scan, EBU R128, at the lowest priority)
  --icecast-url URL        also send the radio to this Icecast mount as a source
                           (http://source:PASSWORD@host:8000/mount; may be given again)
  -h, --help               this text
  -v, --version            the version
`;

const OPTIONS = {
  config: { type: 'string' },
  music: { type: 'string', multiple: true },
  host: { type: 'string' },
  port: { type: 'string' },
  'udp-port': { type: 'string' },
  'http-port': { type: 'string' },
  'state-dir': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  password: { type: 'string' },
  'log-level': { type: 'string' },
  'log-file': { type: 'string' },
  'icecast-url': { type: 'string', multiple: true },
  'no-measure-loudness': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Numbers stay strings when they are not numbers, so the schema names the field in its error. */
const numeric = (text: string | undefined): number | string | undefined =>
  text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text;

function settingsFromArgs(values: Record<string, unknown>): Partial<DaemonSettings> {
  const text = (key: string): string | undefined => values[key] as string | undefined;
  const dir = (key: string): string | undefined =>
    text(key) === undefined ? undefined : path.resolve(text(key) as string);
  const music = (values['music'] as string[] | undefined)?.map((folder) => path.resolve(folder));
  return {
    music: music && music.length === 1 ? music[0] : music,
    host: text('host'),
    port: numeric(text('port')) as number,
    udp_port: numeric(text('udp-port')) as number,
    http_port: numeric(text('http-port')) as number,
    state_dir: dir('state-dir'),
    max_connections: numeric(text('max-connections')) as number,
    max_connections_per_address: numeric(text('max-connections-per-address')) as number,
    password: text('password'),
    log_level: text('log-level') as DaemonSettings['log_level'],
    log_file: dir('log-file'),
    measure_loudness: values['no-measure-loudness'] === true ? false : undefined,
  };
}

async function start(config: DaemonConfig, runArgs: string[]): Promise<number> {
  const pid = await runningPid(config.state_dir);
  if (pid !== undefined) {
    console.log(`streamd is already running (pid ${pid})`);
    return 0;
  }
  const cliPath = fileURLToPath(import.meta.url);
  const logFile = config.log_file ?? logFileOf(config.state_dir);
  const started = await startInBackground(
    cliPath,
    config.log_file ? runArgs : [...runArgs, '--log-file', logFile],
    config.state_dir,
    logFile,
  );
  console.log(`streamd started (pid ${started.pid}) on ${started.address}; log: ${logFile}`);
  return 0;
}

/** `streamd config`: the options given written to the config file; none: the file and its settings. */
function configure(values: Record<string, unknown>): number {
  const file = values['config'] ? path.resolve(values['config'] as string) : undefined;
  const given = Object.entries(settingsFromArgs(values)).filter(([, value]) => value !== undefined);
  if (given.length === 0) {
    const config = loadDaemonConfig({}, file);
    console.log(`config file: ${config.configFile ?? `none yet (${file ?? '~/.config/streamd/config.json'})`}`);
    console.log(`music: ${config.music?.join(', ') ?? 'none: the demo library'}`);
    console.log(
      `listening on ${config.host}:${config.port}, UDP port ${config.udp_port}; state dir ${config.state_dir}`,
    );
    return 0;
  }
  const written = saveDaemonSettings(Object.fromEntries(given), file);
  for (const [key, value] of given) console.log(`${key}: ${key === 'password' ? '(set)' : String(value)}`);
  console.log(`written to ${written}; streamd restart puts it in force`);
  return 0;
}

async function stop(config: DaemonConfig): Promise<number> {
  const pid = await runningPid(config.state_dir);
  if (pid === undefined) {
    console.log('streamd is not running');
    return 0;
  }
  const how = await stopProcess(pid);
  console.log(
    how === 'stopped' ? `streamd stopped (pid ${pid})` : `streamd did not stop in time and was killed (pid ${pid})`,
  );
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`streamd: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(`streamd ${VERSION}`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return values.help || command === 'help' ? 0 : 2;
  }
  if (positionals.length > 1 || !['run', 'start', 'stop', 'status', 'restart', 'config'].includes(command)) {
    console.error(`streamd: unknown command '${positionals.join(' ')}'\n\n${USAGE}`);
    return 2;
  }
  if (command === 'config') return configure(values);
  const config = loadDaemonConfig(
    settingsFromArgs(values),
    values.config ? path.resolve(values.config) : undefined,
    (values['icecast-url'] as string[] | undefined) ?? [],
  );
  const commandAt = argv.indexOf(command);
  const runArgs = [...argv.slice(0, commandAt), ...argv.slice(commandAt + 1)];
  switch (command) {
    case 'run': {
      const { runDaemon } = await import('./main.js');
      await runDaemon(config);
      return -1; // keeps running
    }
    case 'start':
      return start(config, runArgs);
    case 'stop':
      return stop(config);
    case 'restart':
      await stop(config);
      return start(config, runArgs);
    case 'status': {
      const daemon = await runningDaemon(config.state_dir);
      if (daemon === undefined) {
        console.log('not running');
        return 3;
      }
      const address = daemon.address || `${config.host}:${config.port}`;
      console.log(`running (pid ${daemon.pid}) on ${address}`);
      const stats = await queryStats(address, config.password);
      if (stats) {
        const get = (key: string): string => stats.get(key) ?? '?';
        const scan = parseCatalogStats([...stats]).scan;
        const catalog = `catalog ${get('catalog')}${scan ? `: ${scanText(scan)}` : ''}`;
        console.log(
          `songs ${get('songs')} (${catalog}), ${get('connections')} connections, ${get('downloads_served')} downloads served`,
        );
        console.log(
          `radio ${get('radio')}: ${get('listeners')} listeners; udp: ${get('datagrams_sent')} datagrams sent, ${get('udp_rejected')} rejected, ${get('udp_malformed')} malformed, ${get('udp_streams')} song streams`,
        );
        console.log(
          `udp send queue ${get('udp_send_queue_bytes')} bytes; ${get('udp_stream_pauses')} stream pauses, ${get('udp_radio_dropped')} radio datagrams dropped; streams dropped: ${get('udp_streams_unproven')} never proven, ${get('udp_streams_silent')} silent`,
        );
        console.log(
          `calls: ${get('calls_active')} active, ${get('calls_ringing')} ringing; voice: ${get('voice_forwarded')} forwarded, dropped ${get('voice_dropped_not_active')} not active, ${get('voice_dropped_bad_token')} bad token, ${get('voice_dropped_bad_address')} bad address, ${get('voice_dropped_unproven')} unproven peer, ${get('voice_dropped_truncated')} truncated, ${get('voice_dropped_rate')} over the rate`,
        );
        console.log(
          `subsonic api: ${get('http') === 'off' ? 'off' : `http port ${get('http')}`}, ${get('http_streams')} songs being sent`,
        );
        console.log(`open files ${get('open_files')} of ${get('open_files_limit')}`);
        for (const [key, value] of stats) if (/^icecast_\d+$/.test(key)) console.log(`icecast ${value}`);
        console.log(
          `event loop delay over the last minute: p99 ${get('event_loop_delay_p99_ms')} ms, worst ${get('event_loop_delay_max_ms')} ms`,
        );
      }
      return 0;
    }
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: Error) => {
    const known = error instanceof ConfigError || error.name === 'StartupError';
    console.error(`streamd: ${known ? error.message : (error.stack ?? error.message)}`);
    process.exit(1);
  },
);
