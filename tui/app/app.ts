/**
 * The player's wiring, and nothing else: it builds the parts, then connects them. Keys become
 * actions, actions and events go through the state machine (state/, held by StateHolder), effects
 * are carried out by app/effects.ts, what follows a change outside the screen by app/reactions.ts,
 * the daemon is kept in step by push (daemon-link/), and the view (views/) renders the new state. The
 * network clients, cache and audio sink come in from outside (cli.ts makes them).
 */
import { appendFileSync } from 'node:fs';
import type { LossCounts } from '../../common/datagram/loss-meter.js';
import type { RemoteDelivery } from '../../common/protocol/remote.js';
import { unplayableFormats, warmUpDecoders, warmUpFor } from '../audio/decoder.js';
import { NullSink } from '../audio/null-sink.js';
import type { AudioSink } from '../audio/sink.js';
import type { BlockCache } from '../cache/block-cache.js';
import { CallControl, type VoiceSetup } from '../calls/call-control.js';
import type { DaemonClient } from '../daemon-link/daemon-client.js';
import { DaemonSync } from '../daemon-link/daemon-sync.js';
import { UdpDownloader } from '../daemon-link/udp-downloader.js';
import { Desktop, type DesktopOptions } from '../desktop/desktop.js';
import { ListenAlong } from '../listen-along/listen-along.js';
import { MarksControl } from '../marks/marks-control.js';
import { LyricsFetcher } from '../lyrics/lyrics-fetcher.js';
import { PlaylistControl } from '../playlists/playlist-control.js';
import { HandoffSender } from '../remote/handoff-sender.js';
import { RemoteDriver } from '../remote/remote-driver.js';
import { QuitHandover } from '../remote/quit-handover.js';
import { TakeBack } from '../remote/take-back.js';
import { CoverArt } from '../cover-art/cover-art.js';
import { BlockFetcher } from '../playback/block-fetcher.js';
import { Playback } from '../playback/playback.js';
import type { ReplayGainSettings } from '../playback/replay-gain.js';
import { UdpActivity } from '../radio/udp-activity.js';
import type { Action } from '../state/actions.js';
import { keyToAction } from '../state/keys.js';
import { initialState, type KeepPlaying, type PlayerState } from '../state/model.js';
import { headlessNameOf } from '../state/quit.js';
import { queueFromSnapshot, queueSnapshot } from '../state/queue.js';
import { sessionSnapshot, type SessionSnapshot } from '../state/session.js';
import { playingQueuePos, statusMoved, statusText } from '../state/selectors.js';
import { QueueStore } from '../store/queue-store.js';
import { RenderScheduler } from '../timing/render-scheduler.js';
import type { PlayerFace } from '../views/face.js';
import { watchConnections } from './connections.js';
import { runEffects } from './effects.js';
import { periodicWork } from './periodic-work.js';
import { QueueFile, type QueueFileOptions } from './queue-file.js';
import { Reactions } from './reactions.js';
import { StateHolder } from './state-holder.js';

export interface AppDeps {
  /** The screen; none for a player without one (--headless): then no keys, no cover, nothing drawn. */
  face: PlayerFace | undefined;
  /** The user's key bindings (keys.json), as read: checked entry by entry here. */
  keys?: { file: string; entries: Record<string, unknown> } | undefined;
  /** Requests and the status. */
  control: DaemonClient;
  /** Block downloads, which a seek may cut off. */
  downloads: DaemonClient;
  /** The `idle` loop (push events). */
  events: DaemonClient;
  cache: BlockCache;
  sink: AudioSink;
  deviceName: string;
  /** The Subsonic API user whose play queue this player shares. */
  user: string;
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
  /** Whether this device does what other devices ask (`remote`); it says so in its record either way. */
  remoteControl: boolean;
  /** A line for the status bar at start (e.g. why the audio is silent). */
  notice?: string | undefined;
  /** Where the queue is kept, and the playlist file (--queue-file). */
  files: QueueFileOptions;
  /** MPRIS and the song-change hook. */
  desktop: DesktopOptions;
  /** Loudness from the songs' ReplayGain tags. */
  replayGain?: ReplayGainSettings;
  /** Seeds the shuffle (tests give one). */
  seed?: number | undefined;
  /** Listening along: a device to follow from the start, and this device's extra output delay (ms). */
  follow?: string | undefined;
  latencyMs?: number | undefined;
  /** What the status line says also goes here, with times (--log-file; STREAMTUI_LOG). */
  logFile?: string | undefined;
  /** Play on at start if it was playing when it stopped (a player without a screen, a speaker). */
  resume?: boolean | undefined;
  /** Quitting while a song plays: ask whether it plays on without a screen, hand it over, or stop it. */
  keepPlaying?: KeepPlaying | undefined;
  /** Starts the player without a screen the music is handed to on quitting (on its own: it outlives this one). */
  startHeadless?: ((name: string) => void) | undefined;
  /**
   * Started to take over a quitting player's music (--taking-over): it ends once that music has
   * stopped here or moved on, or when none has come within TAKING_OVER_WAIT_MS.
   */
  takingOver?: boolean | undefined;
  onQuit(): void;
}

/** After Enter, the screen shows Playing this much later: the first sound goes out before a render. */
const RENDER_AFTER_PLAY_MS = 30;
/** A remote `start` placed in time waits for its instant at most this long. */
const MAX_START_WAIT_MS = 10_000;
/** Remote commands kept while the library has not come (a handoff is a few: clear, add, start). */
const MAX_HELD_DELIVERIES = 256;
/** A player started to take over music that has not had it within this long ends. */
const TAKING_OVER_WAIT_MS = 30_000;
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
  const { control, downloads, events, cache, face } = deps;
  const seed = deps.seed ?? Date.now();

  // Build: each part from what is built before it.
  const log = logTo(deps.logFile ?? process.env['STREAMTUI_LOG']);
  const holder = new StateHolder({
    ...initialState(deps.deviceName, deps.calls, seed, deps.follow),
    unplayable: unplayableFormats(),
    keepPlaying: face && deps.startHeadless ? (deps.keepPlaying ?? 'ask') : 'never',
  });
  const tell = holder.tell.bind(holder);
  const dispatch = holder.dispatch.bind(holder);
  const say = (text: string, error: boolean): void => tell({ type: 'message', text, error });
  const warn = (text: string): void => say(text, true);
  const store =
    deps.files.stateDir === undefined ? undefined : new QueueStore(deps.files.stateDir, warn, deps.deviceName);
  const saved = store?.load();
  if (deps.keys) holder.tell({ type: 'key-bindings', ...deps.keys });
  if (saved) holder.tell({ type: 'queue-restored', queue: queueFromSnapshot(saved, seed) });
  // Each value is checked as it is restored (a hand-edited file).
  if (saved?.session) holder.tell({ type: 'session-restored', session: saved.session as Partial<SessionSnapshot> });
  const queueFile = new QueueFile(deps.files, say);
  const udpDownloader =
    deps.transport === 'udp' ? new UdpDownloader(downloads, { host: deps.host, port: deps.udpPort }) : undefined;
  const fetcher = new BlockFetcher(cache, downloads, udpDownloader ?? downloads);
  const playback = new Playback(fetcher, deps.sink, deps.replayGain);
  const desktop = new Desktop(deps.desktop, deps.deviceName, log);
  const along = new ListenAlong(control, playback, () => holder.state, (deps.latencyMs ?? 0) / 1000, log);
  const radio = new UdpActivity({
    host: deps.host,
    udpPort: deps.udpPort,
    deviceName: deps.deviceName,
    jitterMs: deps.jitterMs,
    downloader: udpDownloader,
    playback,
    log,
  });
  const calls = new CallControl(
    control,
    {
      warn,
      log,
      bell: () => face?.bell(),
      setCall: (active) => playback.setCall(active),
      setVoice: (frames) => playback.setVoice(frames),
    },
    deps.voice,
  );
  const marks = new MarksControl(control, { warn });
  const playlists = new PlaylistControl(control, tell, say, deps.user);
  const remote = new RemoteDriver(control, {
    warn,
    devices: () => holder.state.devices,
    daemonNow: () => along.daemonNow(),
    queue: (device, version, files) => tell({ type: 'driven-queue', device, version, files }),
  });
  const handoff = new HandoffSender(control, {
    warn,
    log,
    handedOff: (to, song) => tell({ type: 'handed-off', to, song }),
    daemonNow: () => along.daemonNow(),
    playingHere: () => {
      const { now, queue } = holder.state;
      if (!now || !playback.song) return undefined;
      const pos = queue.entries.findIndex((entry) => entry.id === now.entry);
      const [position, playing] = [playback.position(), holder.state.playState === 'Playing'];
      return pos < 0
        ? { songs: [now.song], pos: 0, position, playing }
        : { songs: queue.entries.map((entry) => entry.song), pos, position, playing };
    },
  });
  let libraryCame = false;
  const heldDeliveries: RemoteDelivery[] = [];
  const quitHandover = new QuitHandover({
    devices: () => holder.state.devices,
    startHeadless: (name) => deps.startHeadless?.(name),
    send: (to) => handoff.send(to),
    failed: (text) => tell({ type: 'hand-over-failed', text }),
    log,
  });
  const takeBack =
    face && deps.startHeadless
      ? new TakeBack({
          deviceName: deps.deviceName,
          headless: headlessNameOf(deps.deviceName),
          devices: () => holder.state.devices,
          hasLibrary: () => libraryCame,
          daemonNow: () => along.daemonNow(),
          ask: (device, command) => remote.run({ type: 'remote', device, command }),
          say: (text) => say(text, false),
          log,
        })
      : undefined;
  const sync = new DaemonSync(
    control,
    events,
    {
      library: (songs) => {
        tell({ type: 'library', songs });
        warmUpFor(songs);
        libraryCame = true;
        if (heldDeliveries.length > 0) remoteCommands(heldDeliveries.splice(0));
        for (const song of songs) {
          const blocks = cache.blocksOf(song.etag);
          if (blocks.size > 0) tell({ type: 'cached', etag: song.etag, blocks });
        }
        // --queue-file: its songs become the queue once there is a library to find them in.
        const playlist = holder.state.library.length > 0 ? queueFile.take() : undefined;
        if (playlist) tell({ type: 'queue-loaded', ...playlist });
      },
      stickers: (stickers) => tell({ type: 'stickers', stickers }),
      playlists: (names) => tell({ type: 'playlists', names }),
      catalogState: (catalog, scan, demo) => tell({ type: 'catalog', state: catalog, scan, demo }),
      devices: (devices) => tell({ type: 'devices', devices, daemonNow: along.daemonNow() }),
      radioListeners: (listeners) => tell({ type: 'radio', radio: { listeners } }),
      remote: deps.remoteControl ? (deliveries) => remoteCommands(deliveries) : undefined,
      calls: deps.calls ? (records) => tell({ type: 'calls', records, now: Date.now() }) : undefined,
      warning: warn,
      debug: log,
    },
    () => radio.listening,
    deps.hasPassword,
  );
  const publishStatus = (): void => sync.publishStatus(statusText(holder.state));
  const publishPlayer = (): void =>
    sync.publishPlayer({
      volume: holder.state.volume,
      queueLength: holder.state.queue.entries.length,
      control: deps.remoteControl,
      queuePos: playingQueuePos(holder.state),
    });
  /** `att queue`, for the devices that drive this one: only a player that takes remote control says it. */
  const publishQueue = (): void => {
    if (deps.remoteControl) sync.publishQueue(holder.state.queue.entries.map((entry) => entry.song.file));
  };
  /**
   * Commands from other devices, in the order sent. A `start` placed in time (a handoff) waits
   * for its instant on the daemon's clock; its sound is placed where the song has reached (playInStep).
   */
  const remoteCommands = (deliveries: readonly RemoteDelivery[]): void => {
    // Before the library has come, the songs asked for could not be found in it: they wait for it.
    if (!libraryCame) {
      heldDeliveries.push(...deliveries);
      // Other devices may send on while the library does not come (a daemon refusing `lista`): the oldest go.
      const over = heldDeliveries.length - MAX_HELD_DELIVERIES;
      if (over > 0)
        log(`${heldDeliveries.splice(0, over).length} remote commands dropped: no library yet to do them with`);
      return;
    }
    for (const { from, command } of deliveries) {
      const daemonNow = along.daemonNow();
      if (command.action !== 'start' || command.atMs === undefined || daemonNow === undefined) {
        tell({ type: 'remote', from, command });
        continue;
      }
      const wait = command.atMs - daemonNow;
      if (wait <= 0) tell({ type: 'remote', from, command });
      else {
        // A handoff starts within a second or so: an instant further off is not waited for past MAX_START_WAIT_MS.
        const timer = setTimeout(
          () => {
            timers.splice(timers.indexOf(timer), 1);
            tell({ type: 'remote', from, command });
          },
          Math.min(wait, MAX_START_WAIT_MS),
        );
        timers.push(timer);
      }
    }
  };
  const screenUpdates = new RenderScheduler(() => face?.render(holder.state), publishStatus);
  const periodic = periodicWork({
    state: () => holder.state,
    tell,
    playing: () => (playback.song ? { position: playback.position(), duration: playback.song.duration } : undefined),
    voiceStats: () => calls.voiceStats(),
    udp: radio,
    publishStatus,
    keepSession: () => store?.save({ ...queueSnapshot(holder.state.queue), session: sessionSnapshot(holder.state) }),
  });
  const ticker = periodic.ticker;
  const cover = face && new CoverArt(control, cache.dir, tell, log, face.graphics);
  const reactions = new Reactions({
    store,
    playback,
    calls,
    along,
    desktop,
    lyrics: new LyricsFetcher(control, tell),
    cover,
    coverSize: () => face?.coverRoom() ?? { cols: 0, rows: 0 },
  });
  let quitting = false;
  /** Timers of the start, cleared on quit. */
  const timers: NodeJS.Timeout[] = [];
  const offlineLibrary = (): void => {
    const songs = cache.cachedSongs();
    tell({
      type: 'offline-library',
      songs,
      blocks: new Map(songs.map((song) => [song.etag, cache.blocksOf(song.etag)])),
    });
  };

  let screenReleased = false;
  /** The terminal given back: on the way out, or at a signal (a terminal closed is not drawn on while the music is handed over). */
  const releaseScreen = (): void => {
    if (screenReleased) return;
    screenReleased = true;
    screenUpdates.stop();
    face?.destroy();
  };

  /**
   * Every way out the player controls comes here (q, Ctrl-C, SIGTERM, SIGHUP): the terminal is
   * given back at once, and the process ends once the radio has said LEAVE.
   */
  const quit = (): void => {
    if (quitting) return;
    quitting = true;
    releaseScreen();
    ticker.stop();
    for (const timer of timers) clearTimeout(timer);
    handoff.close();
    quitHandover.close();
    takeBack?.close();
    // Where the song was, kept for the next start (the rest is kept as it changes).
    store?.save({ ...queueSnapshot(holder.state.queue), session: sessionSnapshot(holder.state) });
    store?.flush();
    desktop.close();
    along.close();
    const left = Promise.all([radio.close(), playback.close(), calls.settled()]);
    sync.close();
    void calls.settled().then(() => control.close());
    fetcher.close(); // the cursor's fetch ahead, not to start on the way out
    downloads.close();
    events.close();
    void left.finally(() => deps.onQuit());
  };

  // Connect.
  holder.onChange((before, after, effects) => {
    if (after.message && after.message !== before.message) log(after.message.text);
    runEffects(effects, {
      playback,
      along,
      radio,
      calls,
      marks,
      playlists,
      desktop,
      queueFile,
      remote,
      handoff,
      handOver: (to) => quitHandover.handOver(to),
      following: () => holder.state.follow !== undefined,
      quit,
    });
  });
  holder.onChange((before, after) => reactions.changed(before, after));
  if (deps.takingOver) {
    // Its music stopped or gone on elsewhere: a player started for a hand-over has done its work.
    let played = false;
    holder.onChange((_, after) => {
      if (after.playState === 'Playing') played = true;
      else if (played && after.playState === 'Stopped') queueMicrotask(() => dispatch({ type: 'quit' }));
    });
    timers.push(
      setTimeout(() => {
        if (!played) {
          log(`no music came to take over within ${TAKING_OVER_WAIT_MS / 1000} s`);
          dispatch({ type: 'quit' });
        }
      }, TAKING_OVER_WAIT_MS),
    );
  }
  holder.onChange((before, after, effects) => {
    if (effects.some((effect) => effect.type === 'play')) screenUpdates.quiet(RENDER_AFTER_PLAY_MS);
    if (effects.some((effect) => effect.type === 'seek' || effect.type === 'resume')) ticker.retime();
    else ticker.wake(); // a play, a call, the radio: ticks may be wanted again
    if (statusMoved(before, after) && !screenUpdates.quieting) publishStatus();
    if (
      after.volume !== before.volume ||
      after.queue.entries !== before.queue.entries ||
      after.now?.entry !== before.now?.entry ||
      (after.playState === 'Stopped') !== (before.playState === 'Stopped')
    )
      publishPlayer(); // said only when what it says changed
    if (after.queue.entries !== before.queue.entries) publishQueue();
    if (after !== before) screenUpdates.render(); // the state machine returns the same object when nothing changed
  });
  playback.listen({
    songEnded: () => tell({ type: 'song-ended' }),
    songAdvanced: (song) => {
      tell({ type: 'song-advanced', song });
      cover?.soundOut();
      desktop.songStarted(song);
      along.playbackMoved();
    },
    sounding: () => {
      ticker.retime();
      screenUpdates.soundOut();
      cover?.soundOut();
    },
    failed: (text, offline) => tell({ type: 'playback-failed', text, offline }),
    radioChanged: (view) =>
      tell({
        type: 'radio',
        radio: { status: view.status, text: view.text, info: view.info, position: view.position },
      }),
  });
  watchConnections(control, [downloads, events], { tell, warn, log, offlineLibrary });
  downloads.on('bytes', (count: number) => periodic.countBytes(count));
  fetcher.on('cached', (etag: string) => tell({ type: 'cached', etag, blocks: cache.blocksOf(etag) }));
  fetcher.on('warning', warn);
  fetcher.on('debug', log);
  face?.onKey((key) => {
    const action = keyToAction(key, holder.state);
    if (action) dispatch(action);
  });
  face?.onResize(() => {
    // The cover is drawn again to the new room.
    const { now, radio: radioState } = holder.state;
    cover?.show(radioState.on ? undefined : now?.song, face.coverRoom());
    screenUpdates.render();
  });

  // Start.
  ticker.start();
  void warmUpDecoders();
  desktop.start({ state: () => holder.state, position: () => playback.position(), dispatch });
  tell({ type: 'audio-output', name: playback.audioOutput });
  if (deps.notice) warn(deps.notice);
  offlineLibrary();
  if (deps.resume && (saved?.session as Partial<SessionSnapshot> | undefined)?.playing === true)
    dispatch({ type: 'play' });
  takeBack?.start();
  publishPlayer(); // said once the control connection is up, and again after each reconnect
  publishQueue();
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
    dispatch(action) {
      if (action.type === 'quit' && action.signal) releaseScreen();
      dispatch(action);
    },
    state: () => holder.state,
    udpTotals: () => radio.totals(),
    log,
    audioFailed(reason) {
      playback.replaceSink(new NullSink());
      tell({ type: 'audio-output', name: playback.audioOutput });
      warn(`audio device failed (${reason}): playing silently`);
    },
  };
}

/** STREAMTUI_LOG=FILE: what the status line says (warnings, failures) also goes to a file, with times. */
function logTo(file: string | undefined): (text: string) => void {
  return (text) => {
    if (file) appendFileSync(file, `${new Date().toISOString()} ${text}\n`);
  };
}
