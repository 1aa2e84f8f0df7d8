/**
 * The player: keys become actions, actions and events go through the state machine, its effects
 * are carried out on the playback engine, and the view renders the new state. The network
 * clients, cache and audio sink come in from outside (cli.ts makes them; tests can too).
 */
import { appendFileSync } from 'node:fs';
import type blessed from 'blessed';
import type { LossCounts } from '../common/datagram/loss-meter.js';
import { parseDeviceFields, parseSongFields, splitRecords, type SongInfo } from '../common/protocol/records.js';
import type { AudioSink } from './audio/sink.js';
import { NullSink } from './audio/null-sink.js';
import type { BlockCache } from './cache/block-cache.js';
import type { DaemonClient, Reply } from './client/daemon-client.js';
import { PlaybackEngine } from './player/engine.js';
import { BlockFetcher } from './player/fetcher.js';
import { keyToAction, type Action } from './player/keys.js';
import { initialState, statusText, type PlayerState } from './player/state.js';
import { applyAction, applyEvent, type Effect, type PlayerEvent, type Update } from './player/update.js';
import { createView } from './ui/view.js';
import { UdpActivity } from './udp/udp-activity.js';
import { UdpDownloader } from './udp/udp-downloader.js';

export interface AppDeps {
  screen: blessed.Widgets.Screen;
  control: DaemonClient;
  downloads: DaemonClient;
  cache: BlockCache;
  sink: AudioSink;
  deviceName: string;
  /** streamd's host and UDP port (or a relay's in front of it), for the radio. */
  host: string;
  udpPort: number;
  /** How songs are fetched: `download` over TCP, or `stream` over UDP with repair. */
  transport: 'tcp' | 'udp';
  /** The radio's jitter buffer depth, ms. */
  jitterMs: number;
  /** A line for the status bar at start (e.g. why the audio is silent). */
  notice?: string | undefined;
  onQuit(): void;
}

/** The clock shows whole seconds, like ncmpcpp's; a tick twice a second keeps it within half of one. */
const TICK_MS = 500;
const DEVICES_MS = 2000;
const STATUS_MS = 5000;
/** The loss figures go to the log this often while datagrams come. */
const UDP_LOG_MS = 10_000;
/** How often the daemon's catalog version is asked for: often while it loads, seldom after. */
const CATALOG_LOADING_MS = 1000;
const CATALOG_READY_MS = 10_000;

export interface App {
  dispatch(action: Action): void;
  state(): PlayerState;
  /** What the network did to the datagrams of this run (radio and UDP songs), for the summary on quit. */
  udpTotals(): LossCounts | undefined;
  /** The sound device failed: carry on silently, and say so. */
  audioFailed(reason: string): void;
}

export function startApp(deps: AppDeps): App {
  const { control, downloads, cache, screen } = deps;
  let state = initialState(deps.deviceName);
  const view = createView(screen);
  const udpDownloader = deps.transport === 'udp' ? new UdpDownloader(downloads) : undefined;
  const fetcher = new BlockFetcher(cache, downloads, udpDownloader ?? downloads);
  const engine = new PlaybackEngine(fetcher, cache, deps.sink);
  const udp = new UdpActivity({
    host: deps.host,
    udpPort: deps.udpPort,
    deviceName: deps.deviceName,
    jitterMs: deps.jitterMs,
    downloader: udpDownloader,
    engine,
    onRadio: (radio) => tell({ type: 'radio', radio }),
    log: (text) => log(text),
  });
  let renderQueued = false;
  let lastStatus = '';
  let catalogVersion = '';
  let bytesThisSecond = 0;
  const timers: NodeJS.Timeout[] = [];

  const render = (): void => {
    if (renderQueued) return;
    renderQueued = true;
    setImmediate(() => {
      renderQueued = false;
      view.render(state);
    });
  };

  /** STREAMTUI_LOG=FILE: what the status line says (warnings, failures) also goes to a file, with times. */
  const logFile = process.env['STREAMTUI_LOG'];
  const log = (text: string): void => {
    if (logFile) appendFileSync(logFile, `${new Date().toISOString()} ${text}\n`);
  };

  const apply = (update: Update): void => {
    const before = state;
    state = update.state;
    if (state.message && state.message !== before.message) log(state.message.text);
    for (const effect of update.effects) run(effect);
    if (before.playState !== state.playState || before.now?.song !== state.now?.song) sendStatus();
    if (state !== before) render(); // the state machine returns the same object when nothing changed
  };
  const dispatch = (action: Action): void => apply(applyAction(state, action));
  const tell = (event: PlayerEvent): void => apply(applyEvent(state, event));

  function run(effect: Effect): void {
    switch (effect.type) {
      case 'play':
        engine.play(effect.song, effect.at);
        break;
      case 'pause':
        engine.pause();
        break;
      case 'resume':
        engine.resume();
        break;
      case 'stop':
        engine.stop();
        break;
      case 'seek':
        engine.seek(effect.at);
        break;
      case 'volume':
        engine.setVolume(effect.volume);
        udp.setVolume(effect.volume);
        break;
      case 'radio-start':
        udp.startRadio(state.volume);
        break;
      case 'radio-stop':
        udp.stopRadio();
        break;
      case 'quit':
        quit();
        break;
    }
  }

  function sendStatus(force = false): void {
    const text = statusText(state);
    if ((text === lastStatus && !force) || !control.online) return;
    lastStatus = text;
    control.setStatus(text).catch(() => {});
  }

  async function refreshLibrary(): Promise<void> {
    const reply = await control.request('lista');
    if (!reply.ok) return;
    const songs = splitRecords(reply.fields, 'song').map(parseSongFields);
    tell({ type: 'library', songs });
    for (const song of songs) {
      const blocks = cache.blocksOf(song.etag);
      if (blocks.size > 0) tell({ type: 'cached', etag: song.etag, blocks });
    }
  }

  async function refreshDevices(): Promise<void> {
    const reply: Reply = await control.request('lista dispositivos');
    if (reply.ok) tell({ type: 'devices', devices: splitRecords(reply.fields, 'device').map(parseDeviceFields) });
  }

  async function checkCatalog(): Promise<void> {
    const reply = await control.request('stats');
    const field = (name: string): string => reply.fields.find(([key]) => key === name)?.[1] ?? '';
    const version = field('catalog_version');
    if (reply.ok && field('catalog') !== state.catalog) tell({ type: 'catalog', state: field('catalog') });
    if (reply.ok && version !== catalogVersion) {
      catalogVersion = version;
      await refreshLibrary();
    }
  }

  function offlineLibrary(): void {
    const songs: SongInfo[] = cache.cachedSongs().sort((a, b) => (a.file < b.file ? -1 : 1));
    if (state.library.length === 0 && songs.length > 0) tell({ type: 'library', songs });
    for (const song of songs) tell({ type: 'cached', etag: song.etag, blocks: cache.blocksOf(song.etag) });
  }

  async function refreshRadio(): Promise<void> {
    const reply = await control.request('radio');
    const listeners = reply.fields.find(([key]) => key === 'listeners')?.[1];
    if (reply.ok && listeners !== undefined) tell({ type: 'radio', radio: { listeners: Number(listeners) } });
  }

  function quit(): void {
    udp.close();
    for (const timer of timers) clearInterval(timer);
    engine.close();
    control.close();
    downloads.close();
    view.destroy();
    deps.onQuit();
  }

  control.on('online', () => {
    tell({ type: 'connection', state: 'online' });
    catalogVersion = '';
    void checkCatalog().catch(() => {});
    void refreshDevices().catch(() => {});
    sendStatus(true);
  });
  control.on('offline', () => {
    tell({ type: 'connection', state: 'offline' });
    tell({ type: 'devices', devices: [] });
    offlineLibrary();
  });
  downloads.on('bytes', (count: number) => (bytesThisSecond += count));
  fetcher.on('cached', (etag: string) => tell({ type: 'cached', etag, blocks: cache.blocksOf(etag) }));
  fetcher.on('warning', (text: string) => tell({ type: 'message', text, error: true }));
  fetcher.on('debug', log);
  engine.on('ended', () => tell({ type: 'song-ended' }));
  engine.on('error', (text: string) => tell({ type: 'playback-failed', text }));

  screen.on('keypress', (ch: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
    const action = keyToAction({ ch, name: key?.name, ctrl: key?.ctrl }, state);
    if (action) dispatch(action);
  });
  screen.on('resize', render);

  // One tick drives all the periodic work: wake-ups are most of what an idle player costs.
  let ticks = 0;
  let nextCatalogCheck = 0;
  const tick = (): void => {
    ticks++;
    // The screen shows whole seconds: a position that shows the same is not worth a render.
    const seconds = engine.position();
    if (state.playState === 'Playing' && Math.floor(seconds) !== Math.floor(state.now?.position ?? -1)) tell({ type: 'position', seconds });
    if (ticks % (1000 / TICK_MS) === 0) {
      tell({ type: 'download-rate', bytesPerSecond: bytesThisSecond });
      bytesThisSecond = 0;
      const stats = udp.stats();
      if (stats) tell({ type: 'udp-stats', stats });
    }
    if (ticks % (UDP_LOG_MS / TICK_MS) === 0) udp.logNow();
    if (ticks % (DEVICES_MS / TICK_MS) === 0) void refreshDevices().catch(() => {});
    if (ticks % (DEVICES_MS / TICK_MS) === 0 && udp.listening) void refreshRadio().catch(() => {});
    if (ticks % (STATUS_MS / TICK_MS) === 0) sendStatus(true);
    if (ticks >= nextCatalogCheck && control.online) {
      nextCatalogCheck = ticks + (state.catalog === 'ready' ? CATALOG_READY_MS : CATALOG_LOADING_MS) / TICK_MS;
      void checkCatalog().catch(() => {});
    }
  };
  timers.push(setInterval(tick, TICK_MS));

  tell({ type: 'audio-output', name: engine.audioOutput });
  if (deps.notice) tell({ type: 'message', text: deps.notice, error: true });
  offlineLibrary();
  control.start();
  downloads.start();
  // If the daemon is not there within a moment, say so (the cached songs still play).
  timers.push(
    setTimeout(() => {
      if (!control.online) tell({ type: 'connection', state: 'offline' });
    }, 1500),
  );

  return {
    dispatch,
    state: () => state,
    udpTotals: () => udp.totals(),
    audioFailed(reason) {
      engine.replaceSink(new NullSink());
      tell({ type: 'audio-output', name: engine.audioOutput });
      tell({ type: 'message', text: `audio device failed (${reason}): playing silently`, error: true });
    },
  };
}
