/**
 * What plays next: after a song ends, on n and b, and (for gapless playback) what to have ready
 * before the current song ends. The queue when it has songs, else the library's order; loop one
 * repeats the song at its end, loop all goes round. Pure.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import { stepQueue, type QueueState } from './queue.js';
import { type PlayerState } from './model.js';
import { libraryRows } from './selectors.js';

export interface Step {
  song: SongInfo;
  /** The queue entry it plays from, and the queue with its place moved there. */
  entry?: number | undefined;
  queue: QueueState;
}

function indexOfSong(list: readonly SongInfo[], song: SongInfo | undefined): number {
  return song ? list.findIndex((s) => s.etag === song.etag) : -1;
}

/** The song `step` away from the current one (or the selection) in library order. */
function libraryNeighbour(state: PlayerState, step: 1 | -1, wrap: boolean): SongInfo | undefined {
  const list = state.library;
  if (list.length === 0) return undefined;
  const row = libraryRows(state)[state.selected];
  const from = indexOfSong(list, state.now?.song ?? (row?.kind === 'song' ? row.song : undefined));
  const to = from + step;
  if (to >= 0 && to < list.length) return list[to];
  return wrap ? list[(to + list.length) % list.length] : undefined;
}

/**
 * The song after (`step` 1) or before (-1) the current one. `ended`: the song played to its end
 * (loop one repeats it then; n and b move on whatever the loop).
 */
export function following(state: PlayerState, step: 1 | -1, ended: boolean): Step | undefined {
  if (ended && state.loop === 'one' && state.now)
    return { song: state.now.song, entry: state.now.entry, queue: state.queue };
  if (state.queue.entries.length > 0) {
    const moved = stepQueue(state.queue, step, state.loop === 'all');
    return moved && { song: moved.entry.song, entry: moved.entry.id, queue: moved.queue };
  }
  const song = libraryNeighbour(state, step, state.loop === 'all');
  return song && { song, queue: state.queue };
}

/** The song to have ready before the current one ends (gapless), if one follows it. */
export function upNext(state: PlayerState): SongInfo | undefined {
  // While following another device, what comes next is that device's to say.
  if (!state.now || state.playState === 'Stopped' || state.radio.on || state.follow) return undefined;
  return following(state, 1, true)?.song;
}
