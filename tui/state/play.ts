/** Small pieces every reducer uses: a song starts playing, a line on the status bar, a number kept in range. Pure. */
import type { SongInfo } from '../../common/protocol/records.js';
import type { Update } from './actions.js';
import type { PlayerState } from './model.js';

/** The one way a song starts: the state says Playing, the effect plays it. */
export function play(state: PlayerState, song: SongInfo, at = 0, entry?: number): Update {
  return {
    state: {
      ...state,
      playState: 'Playing',
      now: { song, position: at, entry },
      message: undefined,
      resumeWhenOnline: undefined,
    },
    effects: [{ type: 'play', song, at }],
  };
}

export function say(state: PlayerState, text: string, error = false): Update {
  return { state: { ...state, message: { text, error } }, effects: [] };
}

export const clamp = (value: number, low: number, high: number): number => Math.max(low, Math.min(high, value));
