/**
 * Quitting, and the music that may play on: while a song plays here, `q` asks (or the
 * `keep_playing` setting says) whether it goes on without a screen. If it does, it is handed to a
 * player without a screen on this machine (started if it is not there) as a handoff moves music,
 * and this one quits once that one's sound has taken over. Started again, the full-screen player
 * takes the music back (app/take-back.ts). Pure.
 */
import { DEVICE_NAME_MAX_CHARS } from '../../common/limits.js';
import type { Action, Effect, Update } from './actions.js';
import type { PlayerState } from './model.js';

const SUFFIX = ' headless';

/** The player without a screen that keeps this device's music playing once it has quit. */
export function headlessNameOf(deviceName: string): string {
  const kept = [...deviceName].slice(0, DEVICE_NAME_MAX_CHARS - SUFFIX.length).join('');
  return `${kept.trimEnd()}${SUFFIX}`;
}

const endCall = (state: PlayerState): Effect[] => (state.call ? [{ type: 'hangup', id: state.call.id }] : []);

function quitNow(state: PlayerState): Update {
  return { state, effects: [...endCall(state), { type: 'quit' }] };
}

function handOver(state: PlayerState): Update {
  const to = headlessNameOf(state.deviceName);
  return {
    state: {
      ...state,
      confirm: undefined,
      handingOver: to,
      message: { text: `handing the music to ${to}; the player quits once it plays there`, error: false },
    },
    // A call goes on until the player quits: if the music cannot be handed over, it stays.
    effects: [{ type: 'hand-over', to }],
  };
}

/** Whether a song of this device's own plays here: what quitting may hand over. */
function songPlaysHere(state: PlayerState): boolean {
  return state.playState === 'Playing' && state.now !== undefined && !state.radio.on && state.follow === undefined;
}

export function quitAction(state: PlayerState, action: Extract<Action, { type: 'quit' }>): Update {
  // Asked again while the music is handed over: quit at once, the music stops.
  if (state.handingOver !== undefined || !songPlaysHere(state) || state.keepPlaying === 'never') return quitNow(state);
  if (state.keepPlaying === 'always') return handOver(state);
  if (action.signal) return quitNow(state); // a closed terminal has nobody to ask
  const text = `keep the music playing once the player has quit? y: on ${headlessNameOf(state.deviceName)}, n: stop it, Esc: stay`;
  return { state: { ...state, confirm: 'keep-playing', message: { text, error: false } }, effects: [] };
}

/** y hands the music over, n quits with it, Esc stays. */
export function keepPlayingAnswer(state: PlayerState, action: Extract<Action, { type: 'confirm' }>): Update {
  const asked: PlayerState = { ...state, confirm: undefined, message: undefined };
  if (action.cancel) return { state: asked, effects: [] };
  return action.yes ? handOver(asked) : quitNow(asked);
}

/** The player without a screen plays the music now: this one's stops at once, and it quits. */
export function handedOver(state: PlayerState): Update {
  return {
    state: { ...state, handingOver: undefined, playState: 'Stopped' },
    effects: [...endCall(state), { type: 'stop' }, { type: 'quit' }],
  };
}

export function handOverFailed(state: PlayerState, text: string): Update {
  const to = state.handingOver ?? headlessNameOf(state.deviceName);
  return {
    state: {
      ...state,
      handingOver: undefined,
      message: { text: `${to} did not take the music (${text}): it plays on here`, error: true },
    },
    effects: [],
  };
}
