/**
 * What the player keeps of itself across a quit and a start, beside the queue: the song it was
 * at and where in it, the loop mode, the volume and the library's view. Space after a start goes
 * on where it was. Pure.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import type { LoopMode, PlayerState } from './model.js';
import { entryIndex } from './queue.js';

export interface SessionSnapshot {
  /** The song it was at, where, and its queue entry as an index into the kept queue (null: none). */
  song?: SongInfo | undefined;
  position?: number | undefined;
  entry?: number | null | undefined;
  loop: LoopMode;
  volume: number;
  view: 'list' | 'tree';
  /** Whether it was playing (a player without a screen plays on from there when it starts again). */
  playing?: boolean | undefined;
}

const LOOPS: readonly LoopMode[] = ['off', 'one', 'all'];

/** The session as it is kept; the entry as its index among the queue's entries. */
export function sessionSnapshot(state: PlayerState): SessionSnapshot {
  const now = state.now;
  const index = entryIndex(state.queue, now?.entry);
  return {
    song: now?.song,
    position: now ? Math.floor(now.position) : undefined,
    entry: index >= 0 ? index : null,
    loop: state.loop,
    volume: state.volume,
    view: state.libraryView,
    playing: state.playState === 'Playing',
  };
}

/** Whether what is kept changed (the position aside: it is kept when the player quits). */
export const sessionMoved = (before: PlayerState, after: PlayerState): boolean =>
  before.now?.song !== after.now?.song ||
  before.loop !== after.loop ||
  before.volume !== after.volume ||
  before.libraryView !== after.libraryView ||
  (before.playState === 'Playing') !== (after.playState === 'Playing');

/**
 * A kept session back, stopped where it was (Space plays on from there), its volume told to the
 * sink. Values a hand-edited file got wrong are left at the defaults. Entry ids are the kept
 * queue's indexes plus one, as queueFromSnapshot gives them.
 */
export function restoreSession(
  state: PlayerState,
  kept: Partial<SessionSnapshot>,
): { state: PlayerState; effects: Array<{ type: 'volume'; volume: number }> } {
  const loop = LOOPS.includes(kept.loop as LoopMode) ? (kept.loop as LoopMode) : state.loop;
  const volume =
    typeof kept.volume === 'number' && Number.isInteger(kept.volume) && kept.volume >= 0 && kept.volume <= 100
      ? kept.volume
      : state.volume;
  const view = kept.view === 'tree' || kept.view === 'list' ? kept.view : state.libraryView;
  const song = kept.song && typeof kept.song.file === 'string' ? kept.song : undefined;
  const position =
    typeof kept.position === 'number' && kept.position >= 0 && song ? Math.min(kept.position, song.duration) : 0;
  const entryId = typeof kept.entry === 'number' ? kept.entry + 1 : undefined;
  const entry = state.queue.entries.some((e) => e.id === entryId) ? entryId : undefined;
  return {
    state: {
      ...state,
      loop,
      volume,
      libraryView: view,
      now: song ? { song, position, entry } : state.now,
      playState: 'Stopped',
    },
    effects: volume === state.volume ? [] : [{ type: 'volume', volume }],
  };
}
