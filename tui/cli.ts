#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --memory-reducer-single-gc --max-semi-space-size=1 --no-flush-bytecode
/**
 * The `streamtui` command: the full-screen player, or with --headless a player without a screen.
 *
 * Started with V8's memory reducer limited to one collection at a time (the shebang; `npm start`
 * the same): the player is a long-lived process that wakes a few times a second, which V8 takes
 * for idle, and the reducer kept marking the whole heap again and again while a song played, a
 * fifth of the player's CPU (0.50-0.61 s a minute; 0.41-0.47 with the flag). Turned off instead,
 * the CPU is the same but an idle player keeps 17 MiB more (85 MiB). The young generation is held
 * to 1 MiB a half: V8 grows it to 16 MiB after start-up's allocations and an idle player kept them
 * (87 MiB idle, 72 with the flag; playing CPU unchanged within the runs' noise). Neither can be
 * set from inside: the heap is set up by then. And the bytecode of functions not run for a while
 * is kept: V8 drops it after a few collections, and a key pressed after the player sat quiet for
 * ten seconds waited 20 ms more for its path to be compiled again (traced; RSS the same within
 * 2 MiB). malloc is given a fixed threshold (its default, 128 KiB) above which a buffer is mapped
 * on its own and given back when freed: by default the threshold rises to the largest buffer
 * freed, and the player's second-long pieces of sound and its downloaded chunks then stayed in
 * malloc's heaps (RSS playing 72-73 MiB, 66-69 with it; CPU the same within the runs' noise).
 */
import '../common/runtime/exit-deadlock.js';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { VERSION } from '../common/version.js';
import { startApp, type App } from './app/app.js';
import { extraFormats, useSystemDecoders } from './audio/decoder.js';
import { NullSink } from './audio/null-sink.js';
import { resolveMicrophone } from './calls/microphone.js';
import type { AudioSink } from './audio/sink.js';
import { pulseServerPlays } from './audio/pulse-server.js';
import { noSoundAdvice } from './audio/sound-advice.js';
import { PulseSink } from './audio/pulse-sink.js';
import { probeSpeaker, SpeakerSink } from './audio/speaker-sink.js';
import { BlockCache } from './cache/block-cache.js';
import { DaemonClient } from './daemon-link/daemon-client.js';
import { VoiceLink } from './calls/voice-link.js';
import { headlessFlags } from './app/headless-flags.js';
import { loadKeyBindings, loadSettings, type TuiSettings } from './app/settings.js';
import { udpSummary } from './views/summary.js';

/**
 * A quiet request connection pings this often: under the daemon's default connection_timeout
 * (60 s), with room for a busy loop; a daemon set shorter is learnt from its first `ERR timeout`.
 */
const KEEPALIVE_MS = 45_000;

const USAGE = `usage: streamtui [options]

  --host HOST          streamd's address (default 127.0.0.1)
  --port N             streamd's TCP port (default 9090)
  --udp-port N         streamd's UDP port, or a relay's in front of it (default 9191)
  --transport T        tcp | udp: fetch songs with download, or over UDP with repair (default tcp)
  --jitter-ms N        the radio's jitter buffer (default 300)
  --name NAME          this device's name, spaces and any script allowed (default: the host name)
  --user NAME          whose play queue H keeps on streamd and T takes up: a user of its
                       Subsonic API, as a phone logs in (default: the login name)
  --mic auto|pulse|alsa|none   the microphone for calls (auto: PulseAudio's default source
                       when a server answers, else ALSA's default)
  --no-calls           take no calls (by default the device registers for calls: C calls the
                       selected device, y / n answer)
  --headless           play with no screen, as a device other players drive (a speaker): logs
                       to --log-file (default STATE_DIR/headless-NAME.log), plays on at start
                       where it was, ends on SIGTERM or Ctrl-C
  --keep-playing WHEN  ask | always | never: quitting while a song plays hands it to a player
                       without a screen on this machine ("NAME headless"), which plays on
                       where it was; started again, the player takes it back (default ask)
  --taking-over        (--headless) started to take a quitting player's music over: ends once
                       that music stops here or moves on, or if none comes within 30 s
  --log-file FILE      what the status line says, with times, also written to FILE
  --no-remote-control  do nothing other devices ask (by default they may play, pause, seek,
                       skip, set the volume and change the queue here, through streamd)
  --cache-dir DIR      where blocks are cached (default $XDG_CACHE_HOME/streamtui)
  --state-dir DIR      where the queue is kept across runs (default $XDG_STATE_HOME/streamtui)
  --queue-file FILE    an M3U8 playlist to queue at start (paths from the library root);
                       W writes the queue back to it
  --on-song-change CMD a shell command run at each new song, with STREAMTUI_TITLE,
                       STREAMTUI_ARTIST, STREAMTUI_ALBUM, STREAMTUI_FILE... in its environment
  --no-mpris           do not offer MPRIS on the session D-Bus (media keys, playerctl)
  --follow DEVICE      listen along with DEVICE from the start: its song, at the same moment
  --latency-ms N       this device's output is heard N ms late (Bluetooth, HDMI): listening
                       along plays that much earlier
  --replaygain MODE    off | track | album | auto: loudness from the songs' ReplayGain tags
                       (default auto: the album's gain while its album plays in order)
  --replaygain-preamp DB   added to the tagged gain, -15 to 15 (default 0)
  --audio MODE         auto | pulse | speaker | null (default auto: PulseAudio or PipeWire
                       when a server answers, else ALSA's default device through speaker)
  --decoders MODE      auto | built-in: MP3 and FLAC decoded by the system's mpg123 and flac
                       when installed (default auto: less CPU), or always by the player's own
  --password SECRET    streamd's password, if it has one (or STREAMTUI_PASSWORD in the environment)
  --config FILE        settings file (default ~/.config/streamtui/config.json)
  --save               also store the options given in the settings file, for later runs
  --start-daemon       start streamd in the background first if none answers (npm start does)
  -h, --help, -v, --version

Options apply to this run (--save keeps them). Press ? in the player for the keys.`;

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let app: App | undefined;

function latencyMs(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 5000)
    throw new Error('--latency-ms is a whole number of ms, 0 to 5000');
  return value;
}

/**
 * auto: PulseAudio (its native protocol, in this process) when a server answers,
 * else speaker on ALSA's default device when it opens, else silence.
 */
async function chooseSink(
  mode: TuiSettings['audio'],
  failed: (reason: string) => void,
): Promise<{ sink: AudioSink; notice?: string }> {
  if (mode === 'null') return { sink: new NullSink() };
  if (mode === 'pulse' || (mode === 'auto' && (await pulseServerPlays()))) {
    const sink = new PulseSink((error) => failed(error.message));
    sink.warm(); // connected, its stream open, while the screen comes up
    return { sink };
  }
  if (await probeSpeaker()) {
    const sink = new SpeakerSink(
      (error) => failed(error.message),
      (text) => app?.log(text),
    );
    sink.warm(); // the audio child and the device open while the screen comes up
    return { sink };
  }
  return { sink: new NullSink(), notice: noSoundAdvice() };
}

/**
 * The player without a screen a quitting full-screen player hands its music to: started with this
 * player's flags (app/headless-flags.ts), in a session of its own (the terminal closing does not
 * end it). The password goes in the environment, not on a command line every user can read.
 */
function startHeadless(
  name: string,
  given: Record<string, string | boolean | undefined>,
  password: string | null,
): void {
  const cli = fileURLToPath(import.meta.url);
  const env = { ...process.env };
  if (password) env['STREAMTUI_PASSWORD'] = password;
  delete env['STREAMTUI_LOG']; // its own log: --log-file's default
  const child = spawn(process.execPath, [...process.execArgv, cli, ...headlessFlags(given, name)], {
    detached: true,
    stdio: 'ignore',
    env,
  });
  child.on('error', (error) => app?.log(`${name} could not be started: ${error.message}`));
  child.unref();
}

/** The log kept to one old file and a new one of at most LOG_MAX_BYTES each (a player that runs for months). */
const LOG_MAX_BYTES = 4 * 1024 * 1024;
function keepLogSmall(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    if (statSync(file).size > LOG_MAX_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // none yet
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'udp-port': { type: 'string' },
      transport: { type: 'string' },
      'jitter-ms': { type: 'string' },
      name: { type: 'string' },
      user: { type: 'string' },
      'cache-dir': { type: 'string' },
      'state-dir': { type: 'string' },
      'queue-file': { type: 'string' },
      'on-song-change': { type: 'string' },
      'no-mpris': { type: 'boolean' },
      replaygain: { type: 'string' },
      'replaygain-preamp': { type: 'string' },
      follow: { type: 'string' },
      'latency-ms': { type: 'string' },
      audio: { type: 'string' },
      decoders: { type: 'string' },
      password: { type: 'string' },
      config: { type: 'string' },
      'start-daemon': { type: 'boolean' },
      'no-calls': { type: 'boolean' },
      'no-remote-control': { type: 'boolean' },
      headless: { type: 'boolean' },
      'keep-playing': { type: 'string' },
      'taking-over': { type: 'boolean' },
      'log-file': { type: 'string' },
      mic: { type: 'string' },
      save: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(`streamtui ${VERSION}`);
    return 0;
  }
  const settings = loadSettings(
    {
      host: values.host,
      port: values.port === undefined ? undefined : (Number(values.port) as number),
      udp_port: values['udp-port'] === undefined ? undefined : Number(values['udp-port']),
      transport: values.transport as TuiSettings['transport'] | undefined,
      jitter_ms: values['jitter-ms'] === undefined ? undefined : Number(values['jitter-ms']),
      name: values.name,
      user: values.user,
      cache_dir: values['cache-dir'],
      audio: values.audio as TuiSettings['audio'] | undefined,
      decoders: values.decoders as TuiSettings['decoders'] | undefined,
      password: values.password,
      calls: values['no-calls'] ? false : undefined,
      remote_control: values['no-remote-control'] ? false : undefined,
      mic: values.mic as TuiSettings['mic'] | undefined,
      state_dir: values['state-dir'],
      on_song_change: values['on-song-change'],
      mpris: values['no-mpris'] ? false : undefined,
      replaygain: values.replaygain as TuiSettings['replaygain'] | undefined,
      replaygain_preamp: values['replaygain-preamp'] === undefined ? undefined : Number(values['replaygain-preamp']),
      keep_playing: values['keep-playing'] as TuiSettings['keep_playing'] | undefined,
    },
    values.config,
    values.save === true,
  );
  // The password a player started by another is given (startHeadless), never stored by --save.
  const passwordFromEnv = process.env['STREAMTUI_PASSWORD'];
  if (values.password === undefined && passwordFromEnv) settings.password = passwordFromEnv;
  const keys = loadKeyBindings(values.config);
  if (values['start-daemon'] && !(await answers(settings.host, settings.port))) {
    const streamd = fileURLToPath(new URL('../daemon/cli.js', import.meta.url));
    const started = spawnSync(process.execPath, [streamd, 'start', '--port', String(settings.port)], {
      stdio: 'inherit',
    });
    if (started.status !== 0) return 1;
  }

  const cache = new BlockCache(settings.cache_dir, settings.cache_max_bytes, (text) => app?.log(text));
  cache.init();
  useSystemDecoders(settings.decoders === 'auto');
  const { sink, notice } = await chooseSink(settings.audio, (reason) => app?.audioFailed(reason));
  // Calls: the voice's UDP socket first, since the device registers with its port.
  const voice = settings.calls
    ? {
        link: await VoiceLink.open({ host: settings.host, port: settings.udp_port }),
        mic: resolveMicrophone(settings.mic),
      }
    : undefined;
  const client = (register = false, keepAliveMs?: number): DaemonClient =>
    new DaemonClient({
      host: settings.host,
      port: settings.port,
      name: settings.name,
      password: settings.password ?? undefined,
      register: register && voice ? { voicePort: voice.link.port } : undefined,
      keepAliveMs,
      formats: extraFormats(),
    });
  // Without a screen, nothing of the terminal is loaded (blessed, the view, the cover's renderer).
  const headless = values.headless === true;
  // A terminal closed (SIGHUP) fails the writes still on their way to it: the player goes on
  // without it (it may be handing its music over), where Node would end it on the error.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EIO' && error.code !== 'EPIPE') throw error;
    });
  const face = headless
    ? undefined
    : (await import('./views/screen-face.js')).createScreenFace({
        cacheDir: cache.dir,
        graphics: await (await import('./app/terminal-probe.js')).probeTerminalGraphics(),
      });
  const logFile =
    values['log-file'] ?? (headless ? path.join(settings.state_dir, `headless-${settings.name}.log`) : undefined);
  if (logFile) keepLogSmall(logFile);
  const code = await new Promise<number>((resolve) => {
    app = startApp({
      face,
      logFile,
      resume: headless && values['taking-over'] !== true,
      takingOver: headless && values['taking-over'] === true,
      keepPlaying: settings.keep_playing,
      startHeadless: (name) => startHeadless(name, values, settings.password),
      // The control connection registers the device for calls (unless --no-calls).
      control: client(settings.calls, KEEPALIVE_MS),
      calls: settings.calls,
      // A player started to take this machine's music over is there to be asked for it back.
      remoteControl: settings.remote_control || values['taking-over'] === true,
      voice,
      // Quiet between songs (the control connection between clock round trips): kept open.
      downloads: client(false, KEEPALIVE_MS),
      events: client(),
      hasPassword: settings.password !== null && settings.password !== '',
      cache,
      sink,
      deviceName: settings.name,
      user: settings.user,
      host: settings.host,
      udpPort: settings.udp_port,
      transport: settings.transport,
      jitterMs: settings.jitter_ms,
      notice,
      follow: values.follow,
      latencyMs: values['latency-ms'] === undefined ? undefined : latencyMs(values['latency-ms']),
      files: { stateDir: settings.state_dir, queueFile: values['queue-file'] },
      keys,
      desktop: { onSongChange: settings.on_song_change ?? undefined, mpris: settings.mpris },
      replayGain: { mode: settings.replaygain, preampDb: settings.replaygain_preamp },
      onQuit: () => resolve(0),
    });
    // A closed terminal or a kill ends the player the way q does: LEAVE said, terminal restored.
    // Without a terminal, Ctrl-C in the shell that started it is the way out too.
    const signals = headless ? (['SIGTERM', 'SIGHUP', 'SIGINT'] as const) : (['SIGTERM', 'SIGHUP'] as const);
    for (const signal of signals) process.once(signal, () => app?.dispatch({ type: 'quit', signal: true }));
  });
  // The datagram statistics, once the terminal is itself again.
  const totals = app?.udpTotals();
  if (totals) console.log(udpSummary(totals));
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`streamtui: ${error.message}`);
    process.exit(1);
  },
);
