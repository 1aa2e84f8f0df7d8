/**
 * Playing songs (the transport): play, pause, stop, seek, the volume, next and previous, loop, and
 * what plays when a song ends. Pure.
 */
import { parseStatus } from '../../common/protocol/device-status.js';
import type { TransportAction, Update } from './actions.js';
import { following } from './advance.js';
import type { LoopMode, PlayerState } from './model.js';
import { panelAction } from './panels.js';
import { clamp, play, say } from './play.js';
import { selectedRow } from './selectors.js';

const LOOP_NEXT: Record<LoopMode, LoopMode> = { off: 'one', one: 'all', all: 'off' };

export function transportAction(state: PlayerState, action: TransportAction): Update {
  const none = (next: PlayerState = state): Update => ({ state: next, effects: [] });
  switch (action.type) {
    case 'play-selected': {
      const row = selectedRow(state);
      if (!row) return say(state, 'nothing to play: the library is empty');
      if (row.kind === 'song') return play(state, row.song);
      // Enter on an artist or an album opens it (or closes it again).
      return panelAction(state, { type: row.open ? 'tree-close' : 'tree-open' });
    }
    case 'play':
      if (state.playState === 'Playing') return none();
      return transportAction(state, { type: 'toggle-pause' });
    case 'pause':
      return state.playState === 'Playing' ? transportAction(state, { type: 'toggle-pause' }) : none();
    case 'toggle-pause':
      if (state.playState === 'Playing')
        return { state: { ...state, playState: 'Paused' }, effects: [{ type: 'pause' }] };
      if (state.playState === 'Paused')
        return { state: { ...state, playState: 'Playing' }, effects: [{ type: 'resume' }] };
      return state.now
        ? play(state, state.now.song, state.now.position, state.now.entry)
        : transportAction(state, { type: 'play-selected' });
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
    case 'play-device': {
      const device = state.devices[state.selectedDevice];
      if (!device) return none();
      const status = parseStatus(device.status);
      if (!status) return say(state, `${device.name} is not playing anything`);
      const song = state.library.find((s) => s.file === status.file);
      if (!song) return say(state, `${device.name} plays ${status.file}, which is not in the library`, true);
      return play(state, song, Math.min(status.position, Math.max(0, song.duration - 1)));
    }
  }
}

/** The song after the current one, as the end of a song takes it (loop one: the same again). */
export function afterEnd(state: PlayerState): Update {
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
