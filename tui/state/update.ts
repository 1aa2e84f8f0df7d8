/**
 * The player's state machine: (state, action or event) -> new state and the effects to carry out
 * (start playing, pause, seek...). Pure: the app carries the effects out on the engine.
 */
import type { DeviceInfo, SongInfo } from '../../common/protocol/records.js';
import type { CallRecord, ScanProgress } from '../../common/protocol/replies.js';
import { callAction, callLossHistory, callsChanged, type CallAction, type CallEffect, type CallStats } from './calls.js';
import type { Action } from './keys.js';
import { parseStatus, visibleSongs, type LoopMode, type PlayerState, type RadioState, type UdpStats } from './state.js';

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
  | CallEffect;

/** What the outside world tells the state machine. */
export type PlayerEvent =
  | { type: 'song-ended' }
  | { type: 'position'; seconds: number }
  | { type: 'library'; songs: SongInfo[] }
  | { type: 'devices'; devices: DeviceInfo[] }
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

function play(state: PlayerState, song: SongInfo, at = 0): Update {
  return {
    state: { ...state, playState: 'Playing', now: { song, position: at }, message: undefined },
    effects: [{ type: 'play', song, at }],
  };
}

function indexOfSong(list: SongInfo[], song: SongInfo | undefined): number {
  return song ? list.findIndex((s) => s.etag === song.etag) : -1;
}

/** The song `step` away from the current one (or the selection) in library order. */
function neighbour(state: PlayerState, step: 1 | -1, wrap: boolean): SongInfo | undefined {
  const list = state.library;
  if (list.length === 0) return undefined;
  const from = state.now ? indexOfSong(list, state.now.song) : indexOfSong(list, visibleSongs(state)[state.selected]);
  const to = from + step;
  if (to >= 0 && to < list.length) return list[to];
  return wrap ? list[(to + list.length) % list.length] : undefined;
}

function say(state: PlayerState, text: string, error = false): Update {
  return { state: { ...state, message: { text, error } }, effects: [] };
}

/** Actions that end listening to the radio first: playing a song, or stopping. */
const LEAVES_RADIO = new Set<Action['type']>(['play-selected', 'toggle-pause', 'stop', 'restart', 'next', 'previous', 'play-device', 'toggle-radio']);

const CALL_ACTIONS = new Set<Action['type']>(['call-selected', 'answer-call', 'hang-up', 'toggle-mute']);

export function applyAction(state: PlayerState, action: Action): Update {
  if (CALL_ACTIONS.has(action.type)) return callAction(state, action as CallAction);
  if (state.radio.on && LEAVES_RADIO.has(action.type)) {
    const off: Update = { state: { ...state, radio: { on: false, status: 'off', position: 0 }, message: undefined }, effects: [{ type: 'radio-stop' }] };
    // Space and s only stop the radio; a song key plays the song as well.
    if (action.type === 'toggle-pause' || action.type === 'stop' || action.type === 'toggle-radio') return off;
    const then = applyAction(off.state, action);
    return { state: then.state, effects: [...off.effects, ...then.effects] };
  }
  if (action.type === 'toggle-radio') {
    const stop: Effect[] = state.playState === 'Stopped' ? [] : [{ type: 'stop' }];
    return {
      state: { ...state, playState: 'Stopped', now: state.now && { ...state.now, position: 0 }, radio: { on: true, status: 'connecting', position: 0 }, message: undefined },
      effects: [...stop, { type: 'radio-start' }],
    };
  }
  return songAction(state, action);
}

function songAction(state: PlayerState, action: Action): Update {
  const none = (next: PlayerState = state): Update => ({ state: next, effects: [] });
  switch (action.type) {
    case 'play-selected': {
      const song = visibleSongs(state)[state.selected];
      return song ? play(state, song) : say(state, 'nothing to play: the library is empty');
    }
    case 'toggle-pause':
      if (state.playState === 'Playing') return { state: { ...state, playState: 'Paused' }, effects: [{ type: 'pause' }] };
      if (state.playState === 'Paused') return { state: { ...state, playState: 'Playing' }, effects: [{ type: 'resume' }] };
      return state.now ? play(state, state.now.song, state.now.position) : applyAction(state, { type: 'play-selected' });
    case 'stop':
      if (state.playState === 'Stopped') return none();
      return {
        state: { ...state, playState: 'Stopped', now: state.now && { ...state.now, position: 0 } },
        effects: [{ type: 'stop' }],
      };
    case 'restart':
      return state.now ? play(state, state.now.song, 0) : none();
    case 'cycle-loop':
      return none({ ...state, loop: LOOP_NEXT[state.loop] });
    case 'next':
    case 'previous': {
      const song = neighbour(state, action.type === 'next' ? 1 : -1, state.loop === 'all');
      return song ? play(state, song) : say(state, action.type === 'next' ? 'end of the library' : 'start of the library');
    }
    case 'choose': {
      const index = indexOfSong(state.library, state.now?.song);
      return none({ ...state, focus: 'library', search: { active: false, query: '' }, selected: index >= 0 ? index : state.selected });
    }
    case 'seek': {
      if (!state.now || state.playState === 'Stopped') return none();
      const at = clamp(state.now.position + action.by, 0, Math.max(0, state.now.song.duration - 0.5));
      return { state: { ...state, now: { ...state.now, position: at } }, effects: [{ type: 'seek', at }] };
    }
    case 'volume': {
      const volume = clamp(state.volume + action.by, 0, 100);
      return { state: { ...state, volume }, effects: [{ type: 'volume', volume }] };
    }
    case 'search-open':
      return none({ ...state, focus: 'library', search: { active: true, query: '' }, selected: 0 });
    case 'search-type':
      return none({ ...state, search: { active: true, query: state.search.query + action.text }, selected: 0 });
    case 'search-erase':
      return none({ ...state, search: { active: true, query: state.search.query.slice(0, -1) }, selected: 0 });
    case 'search-close': {
      const match = action.keep ? visibleSongs(state)[state.selected] : undefined;
      const index = indexOfSong(state.library, match);
      return none({ ...state, search: { active: false, query: '' }, selected: index >= 0 ? index : 0 });
    }
    case 'move':
    case 'move-to': {
      const count = state.focus === 'devices' ? state.devices.length : visibleSongs(state).length;
      const current = state.focus === 'devices' ? state.selectedDevice : state.selected;
      const target =
        action.type === 'move' ? current + action.by : action.where === 'top' ? 0 : count - 1;
      const index = clamp(target, 0, Math.max(0, count - 1));
      return none(state.focus === 'devices' ? { ...state, selectedDevice: index } : { ...state, selected: index });
    }
    case 'focus-next':
      return none({ ...state, focus: state.focus === 'library' ? 'devices' : 'library' });
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
      return { state, effects: state.call ? [{ type: 'hangup', id: state.call.id }, { type: 'quit' }] : [{ type: 'quit' }] };
    case 'call-selected':
    case 'answer-call':
    case 'hang-up':
    case 'toggle-mute':
      return none(); // handled by applyAction
  }
}

export function applyEvent(state: PlayerState, event: PlayerEvent): Update {
  const none = (next: PlayerState): Update => ({ state: next, effects: [] });
  switch (event.type) {
    case 'song-ended': {
      if (!state.now) return none(state);
      if (state.loop === 'one') return play(state, state.now.song);
      const next = neighbour(state, 1, state.loop === 'all');
      if (next) return play(state, next);
      return none({ ...state, playState: 'Stopped', now: { ...state.now, position: 0 } });
    }
    case 'position':
      return none(state.now ? { ...state, now: { ...state.now, position: event.seconds } } : state);
    case 'library': {
      const selectedSong = visibleSongs(state)[state.selected];
      const next = { ...state, library: event.songs };
      const index = indexOfSong(visibleSongs(next), selectedSong);
      return none({ ...next, selected: index >= 0 ? index : clamp(state.selected, 0, Math.max(0, visibleSongs(next).length - 1)) });
    }
    case 'devices':
      if (JSON.stringify(event.devices) === JSON.stringify(state.devices)) return none(state);
      return none({ ...state, devices: event.devices, selectedDevice: clamp(state.selectedDevice, 0, Math.max(0, event.devices.length - 1)) });
    case 'connection':
      return none(event.state === state.connection ? state : { ...state, connection: event.state });
    case 'catalog':
      return none(event.state === state.catalog && event.scan?.done === state.catalogScan?.done ? state : { ...state, catalog: event.state, catalogScan: event.scan });
    case 'cached': {
      const known = state.cached.get(event.etag);
      if (known && known.size === event.blocks.size && [...event.blocks].every((b) => known.has(b))) return none(state);
      const cached = new Map(state.cached);
      cached.set(event.etag, new Set(event.blocks));
      return none({ ...state, cached });
    }
    case 'download-rate':
      return none(event.bytesPerSecond === state.downloadRate ? state : { ...state, downloadRate: event.bytesPerSecond });
    case 'message':
      return none({ ...state, message: { text: event.text, error: event.error } });
    case 'audio-output':
      return none({ ...state, audioOutput: event.name });
    case 'playback-failed':
      return none({ ...state, playState: 'Stopped', message: { text: event.text, error: true } });
    case 'radio': {
      if (!state.radio.on) return none(state);
      const radio = { ...state.radio, ...event.radio };
      const changed = (Object.keys(event.radio) as Array<keyof RadioState>).some((key) => event.radio[key] !== state.radio[key]);
      return none(changed ? { ...state, radio } : state);
    }
    case 'udp-stats':
      return none({ ...state, udp: event.stats });
    case 'calls':
      return callsChanged(state, event.records, event.now);
    case 'call-stats':
      return none(state.call ? { ...state, callStats: event.stats, callLoss: callLossHistory(state.callLoss, state.callStats, event.stats) } : { ...state, callStats: undefined, callLoss: [] });
  }
}
