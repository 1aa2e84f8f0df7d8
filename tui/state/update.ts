/**
 * The player's state machine for actions: (state, action) -> the new state and the effects to carry
 * out. What every action does first (a pending question answered no, following or the radio ended)
 * is here; then each action goes by an exhaustive switch to its area's reducer. Pure. What the world
 * tells (events) goes through events.ts.
 */
import type { Action, CallAction, Effect, Update } from './actions.js';
import { unreachable } from './actions.js';
import { callAction } from './calls.js';
import { controlAction, drive, DRIVEN } from './control.js';
import { ENDS_FOLLOWING, followAction } from './listen-along.js';
import type { PlayerState } from './model.js';
import { navigationAction } from './navigation.js';
import { panelAction } from './panels.js';
import { transportAction } from './transport.js';
import { marksAction } from './marks.js';
import { playlistAction } from './playlists.js';
import { keepPlayingAnswer, quitAction } from './quit.js';

/** Actions that end listening to the radio first: playing a song, or stopping. */
const LEAVES_RADIO: ReadonlySet<Action['type']> = new Set<Action['type']>([
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

/** Of those, the ones that only stop the radio (Space, s, R); a song key plays its song as well. */
const ONLY_LEAVES_RADIO: ReadonlySet<Action['type']> = new Set<Action['type']>([
  'toggle-pause',
  'play',
  'stop',
  'toggle-radio',
]);

/** Call keys leave a question on the status line standing (a ring must not answer it). */
const CALL_ACTIONS: ReadonlySet<Action['type']> = new Set<CallAction['type']>([
  'call-selected',
  'answer-call',
  'hang-up',
  'toggle-mute',
]);

const then = (first: Update, next: (state: PlayerState) => Update): Update => {
  const second = next(first.state);
  return { state: second.state, effects: [...first.effects, ...second.effects] };
};

/** `now`: the time (ms since the epoch) the action came at, for what it marks with a date. */
export function applyAction(state: PlayerState, action: Action, now = Date.now()): Update {
  if (state.confirm && action.type !== 'confirm' && !CALL_ACTIONS.has(action.type))
    state = { ...state, confirm: undefined, message: undefined }; // any other key is a no
  if (state.control && DRIVEN.has(action.type)) return drive(state, action);
  if (state.follow && ENDS_FOLLOWING.has(action.type))
    return then(followAction(state, { type: 'unfollow' }, undefined), (next) => applyAction(next, action, now));
  if (state.radio.on && LEAVES_RADIO.has(action.type)) {
    const off: Update = {
      // The radio's figures and chart go with it (songs over UDP keep theirs).
      state: {
        ...state,
        radio: { on: false, status: 'off', position: 0 },
        udp: state.udp?.source === 'radio' ? undefined : state.udp,
        message: undefined,
      },
      effects: [{ type: 'radio-stop' }],
    };
    return ONLY_LEAVES_RADIO.has(action.type) ? off : then(off, (next) => applyAction(next, action, now));
  }
  return route(state, action, now);
}

function route(state: PlayerState, action: Action, now: number): Update {
  switch (action.type) {
    case 'play-selected':
    case 'toggle-pause':
    case 'play':
    case 'pause':
    case 'stop':
    case 'restart':
    case 'cycle-loop':
    case 'set-loop':
    case 'next':
    case 'previous':
    case 'seek':
    case 'seek-to':
    case 'volume':
    case 'set-volume':
    case 'play-device':
      return transportAction(state, action);
    case 'choose':
    case 'search-open':
    case 'search-type':
    case 'search-erase':
    case 'search-close':
    case 'move':
    case 'move-to':
    case 'focus-next':
    case 'help':
    case 'help-scroll':
    case 'song-info':
    case 'toggle-lyrics':
    case 'lyrics-scroll':
      return navigationAction(state, action);
    case 'confirm':
      if (state.confirm === 'keep-playing') return keepPlayingAnswer(state, action);
      return panelAction(state, action);
    case 'queue-add':
    case 'queue-play':
    case 'queue-remove':
    case 'queue-move':
    case 'queue-clear':
    case 'toggle-shuffle':
    case 'set-shuffle':
    case 'toggle-view':
    case 'tree-open':
    case 'tree-close':
    case 'write-playlist':
      return panelAction(state, action);
    case 'follow-device':
    case 'unfollow':
      return followAction(state, action, undefined);
    case 'call-selected':
    case 'answer-call':
    case 'hang-up':
    case 'toggle-mute':
      return callAction(state, action);
    case 'toggle-playlists':
    case 'playlist-move':
    case 'playlist-load':
    case 'playlist-name-start':
    case 'playlist-name-type':
    case 'playlist-name-erase':
    case 'playlist-name-done':
    case 'playlist-delete':
    case 'play-queue-save':
    case 'play-queue-load':
      return playlistAction(state, action);
    case 'rate':
    case 'toggle-favorite':
    case 'cycle-order':
      return marksAction(state, action, now);
    case 'control-device':
    case 'release-control':
    case 'handoff':
      return controlAction(state, action);
    case 'toggle-radio':
      return radioOn(state);
    case 'quit':
      return quitAction(state, action);
    default:
      return unreachable(action);
  }
}

/** R with the radio off: the song stops, the radio starts (R with it on went through LEAVES_RADIO). */
function radioOn(state: PlayerState): Update {
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
