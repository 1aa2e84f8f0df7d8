/**
 * The player's state machine: (state, action or event) -> new state and the effects to carry out
 * (start playing, pause, seek...). Pure: the app carries the effects out on the engine.
 */
import type { DeviceInfo, SongInfo } from '../../common/protocol/records.js';
import type { CallRecord, ScanProgress } from '../../common/protocol/replies.js';
import { following } from './advance.js';
import {
  callAction,
  callLossHistory,
  callsChanged,
  type CallAction,
  type CallEffect,
  type CallStats,
} from './calls.js';
import { ENDS_FOLLOWING, followAction, leaderChanged, type FollowAction, type FollowEffect } from './follow.js';
import type { Action } from './keys.js';
import { cursorOn, panelAction, PANEL_ACTIONS, reveal, type PanelAction, type PanelEffect } from './panel-actions.js';
import { refreshSongs, replaceSongs } from './queue.js';
import {
  libraryRows,
  parseStatus,
  PANELS,
  selectedRow,
  type LoopMode,
  type PlayerState,
  type RadioState,
  type UdpStats,
} from './state.js';

export type Effect =
  | { type: 'play'; song: SongInfo; at: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'seek'; at: number }
  | { type: 'volume'; volume: number }
  | { type: 'radio-start' }
  | { type: 'radio-stop' }
  | { type: 'quit' }
  | PanelEffect
  | FollowEffect
  | CallEffect;

/** What the outside world tells the state machine. */
export type PlayerEvent =
  | { type: 'song-ended' }
  /** The songs of a playlist (--queue-file), to become the queue once the library is there. */
  | { type: 'queue-loaded'; files: string[]; from: string }
  /** Playback went on into the song it was told follows (gapless): no new play. */
  | { type: 'song-advanced'; song: SongInfo }
  | { type: 'position'; seconds: number }
  | { type: 'library'; songs: SongInfo[] }
  /** `daemonNow`: the daemon's clock now (ms), when known: where a followed device is. */
  | { type: 'devices'; devices: DeviceInfo[]; daemonNow?: number | undefined }
  | { type: 'connection'; state: PlayerState['connection'] }
  | { type: 'catalog'; state: string; scan?: ScanProgress | undefined }
  | { type: 'cached'; etag: string; blocks: ReadonlySet<number> }
  | { type: 'download-rate'; bytesPerSecond: number }
  | { type: 'message'; text: string; error: boolean }
  | { type: 'audio-output'; name: string }
  | { type: 'playback-failed'; text: string }
  | { type: 'radio'; radio: Partial<RadioState> }
  | { type: 'udp-stats'; stats: UdpStats | undefined }
  | { type: 'calls'; records: CallRecord[]; now: number }
  | { type: 'call-stats'; stats: CallStats | undefined };

export interface Update {
  state: PlayerState;
  effects: Effect[];
}

const LOOP_NEXT: Record<LoopMode, LoopMode> = { off: 'one', one: 'all', all: 'off' };
const clamp = (value: number, low: number, high: number): number => Math.max(low, Math.min(high, value));

function play(state: PlayerState, song: SongInfo, at = 0, entry?: number): Update {
  return {
    state: { ...state, playState: 'Playing', now: { song, position: at, entry }, message: undefined },
    effects: [{ type: 'play', song, at }],
  };
}

function say(state: PlayerState, text: string, error = false): Update {
  return { state: { ...state, message: { text, error } }, effects: [] };
}

/** Actions that end listening to the radio first: playing a song, or stopping. */
const LEAVES_RADIO = new Set<Action['type']>([
  'play-selected',
  'toggle-pause',
  'play',
  'stop',
  'restart',
  'next',
  'previous',
  'play-device',
  'toggle-radio',
  'queue-play',
]);

const CALL_ACTIONS = new Set<Action['type']>(['call-selected', 'answer-call', 'hang-up', 'toggle-mute']);

export function applyAction(state: PlayerState, action: Action): Update {
  if (CALL_ACTIONS.has(action.type)) return callAction(state, action as CallAction);
  if (state.confirm && action.type !== 'confirm') state = { ...state, confirm: undefined, message: undefined }; // any other key is a no
  if (action.type === 'follow-device' || action.type === 'unfollow')
    return followAction(state, action as FollowAction, undefined);
  if (state.follow && ENDS_FOLLOWING.has(action.type)) {
    const ended = followAction(state, { type: 'unfollow' }, undefined);
    const then = applyAction(ended.state, action);
    return { state: then.state, effects: [...ended.effects, ...then.effects] };
  }
  if (state.radio.on && LEAVES_RADIO.has(action.type)) {
    const off: Update = {
      state: { ...state, radio: { on: false, status: 'off', position: 0 }, message: undefined },
      effects: [{ type: 'radio-stop' }],
    };
    // Space and s only stop the radio; a song key plays the song as well.
    if (
      action.type === 'toggle-pause' ||
      action.type === 'play' ||
      action.type === 'stop' ||
      action.type === 'toggle-radio'
    )
      return off;
    const then = applyAction(off.state, action);
    return { state: then.state, effects: [...off.effects, ...then.effects] };
  }
  if (action.type === 'toggle-radio') {
    const stop: Effect[] = state.playState === 'Stopped' ? [] : [{ type: 'stop' }];
    return {
      state: {
        ...state,
        playState: 'Stopped',
        now: state.now && { ...state.now, position: 0 },
        radio: { on: true, status: 'connecting', position: 0 },
        message: undefined,
      },
      effects: [...stop, { type: 'radio-start' }],
    };
  }
  if (PANEL_ACTIONS.has(action.type)) {
    const update = panelAction(state, action as PanelAction);
    if (update.play) {
      const then = play(update.state, update.play.song, 0, update.play.entry);
      return { state: then.state, effects: [...update.effects, ...then.effects] };
    }
    return update;
  }
  return songAction(state, action);
}

function songAction(state: PlayerState, action: Action): Update {
  const none = (next: PlayerState = state): Update => ({ state: next, effects: [] });
  switch (action.type) {
    case 'play-selected': {
      const row = selectedRow(state);
      if (!row) return say(state, 'nothing to play: the library is empty');
      if (row.kind === 'song') return play(state, row.song);
      // Enter on an artist or an album opens it (or closes it again).
      return applyAction(state, { type: row.open ? 'tree-close' : 'tree-open' });
    }
    case 'play':
      if (state.playState === 'Playing') return none();
      return applyAction(state, { type: 'toggle-pause' });
    case 'pause':
      return state.playState === 'Playing' ? applyAction(state, { type: 'toggle-pause' }) : none();
    case 'toggle-pause':
      if (state.playState === 'Playing')
        return { state: { ...state, playState: 'Paused' }, effects: [{ type: 'pause' }] };
      if (state.playState === 'Paused')
        return { state: { ...state, playState: 'Playing' }, effects: [{ type: 'resume' }] };
      return state.now
        ? play(state, state.now.song, state.now.position, state.now.entry)
        : applyAction(state, { type: 'play-selected' });
    case 'stop':
      if (state.playState === 'Stopped') return none();
      return {
        state: { ...state, playState: 'Stopped', now: state.now && { ...state.now, position: 0 } },
        effects: [{ type: 'stop' }],
      };
    case 'restart':
      return state.now ? play(state, state.now.song, 0, state.now.entry) : none();
    case 'cycle-loop':
      return none({ ...state, loop: LOOP_NEXT[state.loop] });
    case 'set-loop':
      return none(state.loop === action.loop ? state : { ...state, loop: action.loop });
    case 'next':
    case 'previous': {
      const step = following(state, action.type === 'next' ? 1 : -1, false);
      const where = state.queue.entries.length > 0 ? 'queue' : 'library';
      if (!step) return say(state, action.type === 'next' ? `end of the ${where}` : `start of the ${where}`);
      return play({ ...state, queue: step.queue }, step.song, 0, step.entry);
    }
    case 'choose': {
      const closed: PlayerState = { ...state, focus: 'library', search: { active: false, query: '' } };
      return none(state.now ? reveal(closed, state.now.song) : closed);
    }
    case 'seek':
    case 'seek-to': {
      if (!state.now || state.playState === 'Stopped') return none();
      const wanted = action.type === 'seek' ? state.now.position + action.by : action.at;
      const at = clamp(wanted, 0, Math.max(0, state.now.song.duration - 0.5));
      return { state: { ...state, now: { ...state.now, position: at } }, effects: [{ type: 'seek', at }] };
    }
    case 'volume':
    case 'set-volume': {
      const volume = clamp(action.type === 'volume' ? state.volume + action.by : Math.round(action.volume), 0, 100);
      if (action.type === 'set-volume' && volume === state.volume) return none();
      return { state: { ...state, volume }, effects: [{ type: 'volume', volume }] };
    }
    case 'search-open':
      return none({ ...state, focus: 'library', search: { active: true, query: '' }, selected: 0 });
    case 'search-type':
      return none({ ...state, search: { active: true, query: state.search.query + action.text }, selected: 0 });
    case 'search-erase':
      return none({ ...state, search: { active: true, query: state.search.query.slice(0, -1) }, selected: 0 });
    case 'search-close': {
      const row = action.keep ? selectedRow(state) : undefined;
      const closed: PlayerState = { ...state, search: { active: false, query: '' }, selected: 0 };
      return none(row?.kind === 'song' ? reveal(closed, row.song) : closed);
    }
    case 'move':
    case 'move-to': {
      const field =
        state.focus === 'devices' ? 'selectedDevice' : state.focus === 'queue' ? 'selectedEntry' : 'selected';
      const count =
        state.focus === 'devices'
          ? state.devices.length
          : state.focus === 'queue'
            ? state.queue.entries.length
            : libraryRows(state).length;
      const target = action.type === 'move' ? state[field] + action.by : action.where === 'top' ? 0 : count - 1;
      return none({ ...state, [field]: clamp(target, 0, Math.max(0, count - 1)) });
    }
    case 'focus-next':
      return none({
        ...state,
        focus: PANELS[(PANELS.indexOf(state.focus) + 1) % PANELS.length] as PlayerState['focus'],
      });
    case 'play-device': {
      const device = state.devices[state.selectedDevice];
      if (!device) return none();
      const status = parseStatus(device.status);
      if (!status) return say(state, `${device.name} is not playing anything`);
      const song = state.library.find((s) => s.file === status.file);
      if (!song) return say(state, `${device.name} plays ${status.file}, which is not in the library`, true);
      return play(state, song, Math.min(status.position, Math.max(0, song.duration - 1)));
    }
    case 'help':
      return none({ ...state, showHelp: !state.showHelp });
    case 'toggle-radio': // handled by applyAction
      return none();
    case 'quit':
      // Quitting during a call hangs up first.
      return {
        state,
        effects: state.call ? [{ type: 'hangup', id: state.call.id }, { type: 'quit' }] : [{ type: 'quit' }],
      };
    default:
      return none(); // calls and the panels' actions: handled by applyAction
  }
}

/** The song after the current one, as the end of a song takes it (loop one: the same again). */
function afterEnd(state: PlayerState): Update {
  if (!state.now) return { state, effects: [] };
  // Following: the leader's next song comes with its record; until then, silence.
  if (state.follow)
    return { state: { ...state, playState: 'Stopped', now: { ...state.now, position: 0 } }, effects: [] };
  const step = following(state, 1, true);
  if (step) return play({ ...state, queue: step.queue }, step.song, 0, step.entry);
  // The end of the queue (or library): stopped, and the queue starts again from its first entry.
  return {
    state: {
      ...state,
      playState: 'Stopped',
      now: { ...state.now, position: 0 },
      queue: { ...state.queue, place: undefined },
    },
    effects: [],
  };
}

export function applyEvent(state: PlayerState, event: PlayerEvent): Update {
  const none = (next: PlayerState): Update => ({ state: next, effects: [] });
  switch (event.type) {
    case 'song-ended':
      return afterEnd(state);
    case 'queue-loaded': {
      const byFile = new Map(state.library.map((song) => [song.file.normalize('NFC'), song]));
      const songs = event.files.flatMap((file) => byFile.get(file.normalize('NFC')) ?? []);
      const missing = event.files.length - songs.length;
      const text = `${songs.length} song${songs.length === 1 ? '' : 's'} queued from ${event.from}${missing > 0 ? `; ${missing} not in the library` : ''}`;
      return none({
        ...state,
        queue: replaceSongs(state.queue, songs),
        selectedEntry: 0,
        message: { text, error: missing > 0 },
      });
    }
    case 'song-advanced': {
      // Playback is already in the song: the state follows without a new play.
      const step = following(state, 1, true);
      if (step && step.song.etag === event.song.etag)
        return none({ ...state, queue: step.queue, now: { song: step.song, position: 0, entry: step.entry } });
      return none({ ...state, now: { song: event.song, position: 0 } });
    }
    case 'position':
      return none(state.now ? { ...state, now: { ...state.now, position: event.seconds } } : state);
    case 'library': {
      // The cursor stays on its song (or its node's first song) if the new library has it.
      const row = selectedRow(state);
      const song = row?.kind === 'song' ? row.song : row?.songs[0];
      const byFile = new Map(event.songs.map((s) => [s.file, s]));
      const next = { ...state, library: event.songs, queue: refreshSongs(state.queue, byFile) };
      const kept = song && event.songs.find((s) => s.etag === song.etag);
      return none({
        ...next,
        selected: kept ? cursorOn(next, kept) : clamp(state.selected, 0, Math.max(0, libraryRows(next).length - 1)),
      });
    }
    case 'devices': {
      if (JSON.stringify(event.devices) === JSON.stringify(state.devices)) return none(state);
      const next = {
        ...state,
        devices: event.devices,
        selectedDevice: clamp(state.selectedDevice, 0, Math.max(0, event.devices.length - 1)),
      };
      return leaderChanged(state, next, event.daemonNow);
    }
    case 'connection':
      return none(event.state === state.connection ? state : { ...state, connection: event.state });
    case 'catalog':
      return none(
        event.state === state.catalog && event.scan?.done === state.catalogScan?.done
          ? state
          : { ...state, catalog: event.state, catalogScan: event.scan },
      );
    case 'cached': {
      const known = state.cached.get(event.etag);
      if (known && known.size === event.blocks.size && [...event.blocks].every((b) => known.has(b))) return none(state);
      const cached = new Map(state.cached);
      cached.set(event.etag, new Set(event.blocks));
      return none({ ...state, cached });
    }
    case 'download-rate':
      return none(
        event.bytesPerSecond === state.downloadRate ? state : { ...state, downloadRate: event.bytesPerSecond },
      );
    case 'message':
      return none({ ...state, message: { text: event.text, error: event.error } });
    case 'audio-output':
      return none({ ...state, audioOutput: event.name });
    case 'playback-failed':
      return none({ ...state, playState: 'Stopped', message: { text: event.text, error: true } });
    case 'radio': {
      if (!state.radio.on) return none(state);
      const radio = { ...state.radio, ...event.radio };
      const changed = (Object.keys(event.radio) as Array<keyof RadioState>).some(
        (key) => event.radio[key] !== state.radio[key],
      );
      return none(changed ? { ...state, radio } : state);
    }
    case 'udp-stats':
      return none({ ...state, udp: event.stats });
    case 'calls':
      return callsChanged(state, event.records, event.now);
    case 'call-stats':
      return none(
        state.call
          ? {
              ...state,
              callStats: event.stats,
              callLoss: callLossHistory(state.callLoss, state.callStats, event.stats),
            }
          : { ...state, callStats: undefined, callLoss: [] },
      );
  }
}
