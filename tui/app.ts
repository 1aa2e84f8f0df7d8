/**
 * The player's wiring, and nothing else: keys become actions, actions and events go through the
 * state machine (state/), its effects are carried out on playback (playback/), the daemon is
 * followed by push (sync/), and the view (views/) renders the new state. The network clients,
 * cache and audio sink come in from outside (cli.ts makes them; tests can too).
 */
import { appendFileSync } from 'node:fs';
import type blessed from 'blessed';
import type { LossCounts } from '../common/datagram/loss-meter.js';
import type { SongInfo } from '../common/protocol/records.js';
import type { AudioSink } from './audio/sink.js';
import { warmUpDecoders } from './audio/decoder.js';
import { NullSink } from './audio/null-sink.js';
import type { BlockCache } from './cache/block-cache.js';
import type { DaemonClient } from './client/daemon-client.js';
import { UdpDownloader } from './client/udp-downloader.js';
import { CallControl, type VoiceSetup } from './calls/call-control.js';
import { followConnections } from './connection-events.js';
import { BlockFetcher } from './playback/block-fetcher.js';
import { Playback } from './playback/playback.js';
import type { RadioView } from './playback/radio-source.js';
import { keyToAction, type Action } from './state/keys.js';
import { initialState, statusText, type PlayerState } from './state/state.js';
import { applyAction, applyEvent, type Effect, type PlayerEvent, type Update } from './state/update.js';
import { ListenAlong } from './listen-along.js';
import { RenderScheduler } from './render-scheduler.js';
import { StateFollowers, type FollowerOptions } from './state-followers.js';
import { periodicWork } from './periodic-work.js';
import { DaemonSync } from './sync/daemon-sync.js';
import { UdpActivity } from './sync/udp-activity.js';
import { createView } from './views/view.js';

export interface AppDeps {
  screen: blessed.Widgets.Screen;
  /** Requests and the status. */
  control: DaemonClient;
  /** Block downloads, which a seek may cut off. */
  downloads: DaemonClient;
  /** The `idle` loop (push events). */
  events: DaemonClient;
  cache: BlockCache;
  sink: AudioSink;
  deviceName: string;
  /** Whether a password is given (to say what a refusal means). */
  hasPassword: boolean;
  /** streamd's host and UDP port (or a relay's in front of it), for the radio. */
  host: string;
  udpPort: number;
  /** How songs are fetched: `download` over TCP, or `stream` over UDP with repair. */
  transport: 'tcp' | 'udp';
  /** The radio's jitter buffer depth, ms. */
  jitterMs: number;
  /** Whether this device takes calls (registered for them on the control connection), and their voice. */
  calls: boolean;
  voice?: VoiceSetup | undefined;
  /** A line for the status bar at start (e.g. why the audio is silent). */
  notice?: string | undefined;
  /** The queue's file, playlists, MPRIS, the song-change hook. */
  followers: FollowerOptions;
  /** Seeds the shuffle (tests give one). */
  seed?: number | undefined;
  /** Listening along: a device to follow from the start, and this device's extra output delay (ms). */
  follow?: string | undefined;
  latencyMs?: number | undefined;
  onQuit(): void;
}

/** After Enter, the screen shows Playing this much later: the first sound goes out before a render. */
const RENDER_AFTER_PLAY_MS = 30;
/** No daemon within this long after start: say so (the cached songs play all the same). */
const OFFLINE_NOTICE_MS = 1500;

export interface App {
  dispatch(action: Action): void;
  state(): PlayerState;
  /** What the network did to the datagrams of this run (radio and UDP songs), for the summary on quit. */
  udpTotals(): LossCounts | undefined;
  /** The sound device failed: carry on silently, and say so. */
  audioFailed(reason: string): void;
  /** A line for STREAMTUI_LOG (the audio child's complaints). */
  log(text: string): void;
}

export function startApp(deps: AppDeps): App {
  const { control, downloads, events, cache, screen } = deps;
  const seed = deps.seed ?? Date.now();
  let state = initialState(deps.deviceName, deps.calls, seed);
  const view = createView(screen);
  const udpDownloader =
    deps.transport === 'udp' ? new UdpDownloader(downloads, { host: deps.host, port: deps.udpPort }) : undefined;
  const fetcher = new BlockFetcher(cache, downloads, udpDownloader ?? downloads);
  const playback = new Playback(fetcher, deps.sink);
  const followers = new StateFollowers(
    deps.followers,
    playback,
    { say: (text, error) => tell({ type: 'message', text, error }), log: (text) => log(text) },
    deps.deviceName,
  );
  state = { ...state, queue: followers.savedQueue(seed) ?? state.queue };
  const along = new ListenAlong(
    control,
    playback,
    () => state,
    (deps.latencyMs ?? 0) / 1000,
    (text) => log(text),
  );
  let followAtStart = deps.follow;
  const udp = new UdpActivity({
    host: deps.host,
    udpPort: deps.udpPort,
    deviceName: deps.deviceName,
    jitterMs: deps.jitterMs,
    downloader: udpDownloader,
    playback,
    log: (text) => log(text),
  });
  let quitting = false;
  const timers: NodeJS.Timeout[] = [];
  const screenUpdates = new RenderScheduler(
    () => view.render(state),
    () => sync.publishStatus(statusText(state)),
  );
  const render = (): void => screenUpdates.render();

  const periodic = periodicWork({
    state: () => state,
    tell: (event) => tell(event),
    playing: () => (playback.song ? { position: playback.position(), duration: playback.song.duration } : undefined),
    voiceStats: () => calls.voiceStats(),
    udp,
    publishStatus: () => sync.publishStatus(statusText(state)),
  });
  const ticker = periodic.ticker;

  /** STREAMTUI_LOG=FILE: what the status line says (warnings, failures) also goes to a file, with times. */
  const logFile = process.env['STREAMTUI_LOG'];
  const log = (text: string): void => {
    if (logFile) appendFileSync(logFile, `${new Date().toISOString()} ${text}\n`);
  };
  const warn = (text: string): void => tell({ type: 'message', text, error: true });

  const apply = (update: Update): void => {
    const before = state;
    state = update.state;
    if (state.message && state.message !== before.message) log(state.message.text);
    for (const effect of update.effects) run(effect);
    if (state.call !== before.call) calls.follow(state.call);
    followers.changed(before, state, update.effects);
    along.changed(before, state, update.effects);
    if (update.effects.some((effect) => effect.type === 'play')) screenUpdates.quiet(RENDER_AFTER_PLAY_MS);
    if (update.effects.some((effect) => effect.type === 'seek' || effect.type === 'resume')) ticker.retime();
    else ticker.wake(); // a play, a call, the radio: ticks may be wanted again
    const quiet = screenUpdates.quieting;
    const moved =
      before.playState !== state.playState ||
      before.now?.song !== state.now?.song ||
      before.radio.info !== state.radio.info ||
      before.call?.state !== state.call?.state;
    if (moved && !quiet) sync.publishStatus(statusText(state));
    if (state !== before) render(); // the state machine returns the same object when nothing changed
  };
  const dispatch = (action: Action): void => apply(applyAction(state, action));
  const calls = new CallControl(
    control,
    {
      warn: (text) => warn(text),
      log: (text) => log(text),
      bell: () => screen.program.bell(),
      setCall: (active) => playback.setCall(active),
      setVoice: (frames) => playback.setVoice(frames),
    },
    deps.voice,
  );
  const tell = (event: PlayerEvent): void => apply(applyEvent(state, event));

  const sync = new DaemonSync(
    control,
    events,
    {
      library: (songs) => {
        tell({ type: 'library', songs });
        for (const song of songs) {
          const blocks = cache.blocksOf(song.etag);
          if (blocks.size > 0) tell({ type: 'cached', etag: song.etag, blocks });
        }
        loadPlaylist();
      },
      catalogState: (catalog, scan) => tell({ type: 'catalog', state: catalog, scan }),
      devices: (devices) => {
        tell({ type: 'devices', devices, daemonNow: along.daemonNow() });
        // --follow: once the device is there.
        if (followAtStart && devices.some((device) => device.name === followAtStart))
          dispatch({ type: 'follow-device', name: followAtStart });
        if (followAtStart && state.follow) followAtStart = undefined;
      },
      radioListeners: (listeners) => tell({ type: 'radio', radio: { listeners } }),
      calls: deps.calls ? (records) => tell({ type: 'calls', records, now: Date.now() }) : undefined,
      warning: warn,
      debug: log,
    },
    () => udp.listening,
    deps.hasPassword,
  );

  /** Carries an effect out: on playback, the radio, the call; the queue's are the followers'. */
  function run(effect: Effect): void {
    switch (effect.type) {
      case 'play':
        return state.follow ? along.play(effect.song, effect.at) : playback.play(effect.song, effect.at);
      case 'pause':
        return playback.pause();
      case 'resume':
        return playback.resume();
      case 'stop':
        return playback.stop();
      case 'seek':
        return playback.seek(effect.at);
      case 'volume':
        return playback.setVolume(effect.volume);
      case 'radio-start':
        return udp.startRadio();
      case 'radio-stop':
        return void udp.stopRadio();
      case 'quit':
        return quit();
      case 'write-playlist':
        return; // state-followers.ts writes it
      case 'follow-set':
      case 'follow-target':
      case 'follow-end':
        return along.run(effect);
      default:
        calls.run(effect);
    }
  }

  function offlineLibrary(): void {
    const songs: SongInfo[] = cache.cachedSongs().sort((a, b) => (a.file < b.file ? -1 : 1));
    if (state.library.length === 0 && songs.length > 0) tell({ type: 'library', songs });
    for (const song of songs) tell({ type: 'cached', etag: song.etag, blocks: cache.blocksOf(song.etag) });
  }

  /** --queue-file: its songs become the queue once there is a library to find them in. */
  function loadPlaylist(): void {
    if (state.library.length === 0) return;
    const playlist = followers.takePlaylist();
    if (playlist) tell({ type: 'queue-loaded', ...playlist });
  }

  /**
   * Every way out the player controls comes here (q, Ctrl-C, SIGTERM, SIGHUP): the terminal is
   * given back at once, and the process ends once the radio has said LEAVE.
   */
  function quit(): void {
    if (quitting) return;
    quitting = true;
    screenUpdates.stop();
    ticker.stop();
    for (const timer of timers) clearInterval(timer);
    view.destroy();
    followers.close();
    along.close();
    const left = Promise.all([udp.close(), playback.close(), calls.settled()]);
    sync.close();
    void calls.settled().then(() => control.close());
    fetcher.close(); // the cursor's fetch ahead, not to start on the way out
    downloads.close();
    events.close();
    void left.finally(() => deps.onQuit());
  }

  followConnections(control, [downloads, events], { tell, warn, log, offlineLibrary });
  downloads.on('bytes', (count: number) => periodic.countBytes(count));
  fetcher.on('cached', (etag: string) => tell({ type: 'cached', etag, blocks: cache.blocksOf(etag) }));
  fetcher.on('warning', warn);
  fetcher.on('debug', log);
  playback.on('ended', () => tell({ type: 'song-ended' }));
  playback.on('advanced', (song: SongInfo) => {
    tell({ type: 'song-advanced', song });
    followers.advanced(song);
  });
  playback.on('sounding', () => {
    ticker.retime();
    screenUpdates.soundOut();
  });
  playback.on('error', (text: string) => tell({ type: 'playback-failed', text }));
  playback.on('radio', (radio: RadioView) =>
    tell({
      type: 'radio',
      radio: { status: radio.status, text: radio.text, info: radio.info, position: radio.position },
    }),
  );

  screen.on('keypress', (ch: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
    const action = keyToAction({ ch, name: key?.name, ctrl: key?.ctrl }, state);
    if (action) dispatch(action);
  });
  screen.on('resize', render);

  ticker.start();

  void warmUpDecoders();
  followers.startMpris({ state: () => state, position: () => playback.position(), dispatch });
  tell({ type: 'audio-output', name: playback.audioOutput });
  if (deps.notice) warn(deps.notice);
  offlineLibrary();
  control.start();
  along.start();
  downloads.start();
  events.start();
  timers.push(
    setTimeout(() => {
      if (!control.online) tell({ type: 'connection', state: 'offline' });
    }, OFFLINE_NOTICE_MS),
  );

  return {
    dispatch,
    state: () => state,
    udpTotals: () => udp.totals(),
    log,
    audioFailed(reason) {
      playback.replaceSink(new NullSink());
      tell({ type: 'audio-output', name: playback.audioOutput });
      warn(`audio device failed (${reason}): playing silently`);
    },
  };
}
