/**
 * The library and queue panels' actions: adding to the queue, editing it, the tree's opening and
 * closing, the view and shuffle toggles, writing the queue as a playlist. Pure.
 */
import { deleteChosen } from './playlists.js';
import type { SongInfo } from '../../common/protocol/records.js';
import type { PanelAction, Update } from './actions.js';
import { albumKey, artistKey, rowSongs } from './library-tree.js';
import type { PlayerState } from './model.js';
import { clamp, play } from './play.js';
import { addSongs, clearQueue, moveEntry, placeAt, removeEntry, toggleShuffle, type QueueState } from './queue.js';
import { cursorOn, libraryRows, selectedRow } from './selectors.js';

const plural = (count: number, what: string): string => `${count} ${what}${count === 1 ? '' : 's'}`;

function withQueue(state: PlayerState, queue: QueueState, message?: string): PlayerState {
  const selectedEntry = clamp(state.selectedEntry, 0, Math.max(0, queue.entries.length - 1));
  return {
    ...state,
    queue,
    selectedEntry,
    message: message === undefined ? state.message : { text: message, error: false },
  };
}

/** The row index of the tree row with `key` (an artist or an album), else `fallback`. */
function rowIndexOf(state: PlayerState, key: string, fallback: number): number {
  const at = libraryRows(state).findIndex((row) => row.kind !== 'song' && row.key === key);
  return at >= 0 ? at : fallback;
}

export function panelAction(state: PlayerState, action: PanelAction): Update {
  const just = (next: PlayerState): Update => ({ state: next, effects: [] });
  const entry = state.queue.entries[state.selectedEntry];
  switch (action.type) {
    case 'queue-add': {
      if (state.focus !== 'library') return just(state);
      const songs = rowSongs(selectedRow(state));
      if (songs.length === 0) return just(state);
      const queue = addSongs(state.queue, songs, action.where);
      const what = songs.length === 1 ? `'${songs[0]?.title ?? songs[0]?.file}'` : plural(songs.length, 'song');
      return just(
        withQueue(state, queue, action.where === 'end' ? `${what} added to the queue` : `${what} to play next`),
      );
    }
    case 'queue-play': {
      const placed = entry && placeAt(state.queue, entry.id);
      if (!placed) return just(state);
      return play(withQueue(state, placed.queue), placed.entry.song, 0, placed.entry.id);
    }
    case 'queue-remove':
      return just(entry ? withQueue(state, removeEntry(state.queue, entry.id)) : state);
    case 'queue-move': {
      if (!entry) return just(state);
      const queue = moveEntry(state.queue, entry.id, action.by);
      return just({
        ...state,
        queue,
        selectedEntry: clamp(
          state.selectedEntry + (queue === state.queue ? 0 : action.by),
          0,
          queue.entries.length - 1,
        ),
      });
    }
    case 'queue-clear':
      return just(
        state.queue.entries.length === 0
          ? state
          : {
              ...state,
              confirm: 'clear-queue',
              message: { text: `clear the queue (${plural(state.queue.entries.length, 'song')})? y / n`, error: false },
            },
      );
    case 'confirm':
      if (!state.confirm) return just(state);
      if (!action.yes) return just({ ...state, confirm: undefined, message: undefined });
      if (state.confirm === 'delete-playlist') return deleteChosen(state);
      return just({
        ...withQueue(state, clearQueue(state.queue), 'queue cleared'),
        confirm: undefined,
        now: state.now && { ...state.now, entry: undefined },
      });
    case 'toggle-shuffle':
      return just(withQueue(state, toggleShuffle(state.queue), state.queue.shuffle ? 'shuffle off' : 'shuffle on'));
    case 'set-shuffle':
      return just(action.on === state.queue.shuffle ? state : withQueue(state, toggleShuffle(state.queue)));
    case 'toggle-view': {
      // The cursor stays on what it was on: its song, or the album or artist that holds it.
      const row = selectedRow(state);
      const next: PlayerState = {
        ...state,
        libraryView: state.libraryView === 'list' ? 'tree' : 'list',
        search: { active: false, query: '' },
      };
      const song = row?.kind === 'song' ? row.song : row?.songs[0];
      return just({ ...next, selected: song ? cursorOn(next, song) : 0 });
    }
    case 'tree-open': {
      const row = selectedRow(state);
      if (state.libraryView !== 'tree' || !row || row.kind === 'song' || row.open) return just(state);
      return just({ ...state, expanded: new Set([...state.expanded, row.key]) });
    }
    case 'tree-close': {
      const row = selectedRow(state);
      if (state.libraryView !== 'tree' || !row || (row.kind === 'artist' && !row.open)) return just(state);
      // An open node closes; a song closes its album; a closed album: the cursor goes up to its artist.
      if (row.kind === 'album' && !row.open)
        return just({ ...state, selected: rowIndexOf(state, artistKey(row.songs[0] as SongInfo), state.selected) });
      const key = row.kind === 'song' ? albumKey(row.song) : row.key;
      const expanded = new Set(state.expanded);
      expanded.delete(key);
      const next = { ...state, expanded };
      return just({ ...next, selected: rowIndexOf(next, key, state.selected) });
    }
    case 'write-playlist':
      if (state.queue.entries.length === 0)
        return just({ ...state, message: { text: 'the queue is empty: no playlist written', error: true } });
      return { state, effects: [{ type: 'write-playlist', songs: state.queue.entries.map((e) => e.song) }] };
  }
}
