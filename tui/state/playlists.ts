/**
 * The stored playlists view (`P`): the daemon's playlists listed, one loaded into the queue or
 * added to its end, the queue saved as one under a name typed here, one deleted (asked first).
 * Pure.
 */
import type { PlaylistAction, Update } from './actions.js';
import { unreachable } from './actions.js';
import type { PlayerState } from './model.js';
import { clamp } from './play.js';
import { entryIndex } from './queue.js';

/** What the view's keys do with the state as it is. */
export function playlistAction(state: PlayerState, action: PlaylistAction): Update {
  const view = state.playlists;
  const none = (next: PlayerState): Update => ({ state: next, effects: [] });
  const chosen = view.names[view.selected]?.name;
  switch (action.type) {
    case 'toggle-playlists':
      return view.open
        ? none({ ...state, playlists: { ...view, open: false, naming: undefined } })
        : { state: { ...state, playlists: { ...view, open: true } }, effects: [{ type: 'playlists-list' }] };
    case 'playlist-move':
      return none({
        ...state,
        playlists: { ...view, selected: clamp(view.selected + action.by, 0, Math.max(0, view.names.length - 1)) },
      });
    case 'playlist-load':
      if (chosen === undefined) return none(state);
      return {
        state: { ...state, playlists: { ...view, open: false } },
        effects: [{ type: 'playlist-load', name: chosen, mode: action.mode }],
      };
    case 'playlist-name-start':
      return none({ ...state, playlists: { ...view, naming: '' } });
    case 'playlist-name-type':
      return none({ ...state, playlists: { ...view, naming: `${view.naming ?? ''}${action.text}`.slice(0, 200) } });
    case 'playlist-name-erase':
      return none({ ...state, playlists: { ...view, naming: [...(view.naming ?? '')].slice(0, -1).join('') } });
    case 'playlist-name-done': {
      const name = view.naming?.trim();
      const closed: PlayerState = { ...state, playlists: { ...view, naming: undefined } };
      if (!action.keep || !name) return none(closed);
      const songs = state.queue.entries.map((entry) => entry.song);
      if (songs.length === 0)
        return none({ ...closed, message: { text: 'the queue is empty: nothing to save', error: true } });
      return {
        state: { ...closed, message: { text: `saving the queue as '${name}'...`, error: false } },
        effects: [{ type: 'playlist-save', name, songs }],
      };
    }
    case 'play-queue-save': {
      const songs = state.queue.entries.map((entry) => entry.song);
      if (songs.length === 0 && !state.now)
        return none({ ...state, message: { text: 'the queue is empty: nothing to hand on', error: true } });
      // The entry playing, else the song playing alone (the queue is then that song).
      const playing = entryIndex(state.queue, state.now?.entry);
      const handed = playing < 0 && state.now ? [state.now.song] : songs;
      const current = playing >= 0 ? playing : state.now ? 0 : -1;
      return {
        state: { ...state, message: { text: 'keeping the play queue on the server...', error: false } },
        effects: [
          {
            type: 'play-queue-save',
            songs: handed,
            current,
            positionMs: Math.round((state.now?.position ?? 0) * 1000),
          },
        ],
      };
    }
    case 'play-queue-load':
      return {
        state: { ...state, message: { text: 'taking up the play queue...', error: false } },
        effects: [{ type: 'play-queue-load' }],
      };
    case 'playlist-delete':
      if (chosen === undefined) return none(state);
      return none({
        ...state,
        confirm: 'delete-playlist',
        message: { text: `delete the playlist '${chosen}'? y / n`, error: false },
      });
    default:
      return unreachable(action);
  }
}

/** `y` to the question of `playlist-delete`: the chosen playlist goes. */
export function deleteChosen(state: PlayerState): Update {
  const chosen = state.playlists.names[state.playlists.selected]?.name;
  const asked: PlayerState = { ...state, confirm: undefined, message: undefined };
  return chosen === undefined
    ? { state: asked, effects: [] }
    : { state: asked, effects: [{ type: 'playlist-delete', name: chosen }] };
}
