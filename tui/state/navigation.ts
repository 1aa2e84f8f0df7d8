/** Moving about the screen: the cursor, the panels, the search, the help, and `c` back to the song playing. Pure. */
import type { SongInfo } from '../../common/protocol/records.js';
import type { NavigationAction, Update } from './actions.js';
import { albumKey, artistKey } from './library-tree.js';
import { PANELS, type PlayerState } from './model.js';
import { clamp } from './play.js';
import { helpLines } from './bindings.js';
import { cursorOn, libraryRows, queuePanelLength, selectedRow, songUnderCursor } from './selectors.js';

/** The state with the cursor on `song`, its artist and album opened when the tree shows. */
export function reveal(state: PlayerState, song: SongInfo): PlayerState {
  const next =
    state.libraryView === 'tree'
      ? { ...state, expanded: new Set([...state.expanded, artistKey(song), albumKey(song)]) }
      : state;
  return { ...next, selected: cursorOn(next, song) };
}

export function navigationAction(state: PlayerState, action: NavigationAction): Update {
  const none = (next: PlayerState): Update => ({ state: next, effects: [] });
  switch (action.type) {
    case 'choose': {
      const closed: PlayerState = { ...state, focus: 'library', search: { active: false, query: '' } };
      return none(state.now ? reveal(closed, state.now.song) : closed);
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
            ? queuePanelLength(state)
            : libraryRows(state).length;
      const target = action.type === 'move' ? state[field] + action.by : action.where === 'top' ? 0 : count - 1;
      return none({ ...state, [field]: clamp(target, 0, Math.max(0, count - 1)) });
    }
    case 'focus-next':
      return none({
        ...state,
        focus: PANELS[(PANELS.indexOf(state.focus) + 1) % PANELS.length] as PlayerState['focus'],
      });
    case 'help':
      return none({ ...state, showHelp: !state.showHelp, helpTop: 0 });
    case 'toggle-lyrics':
      return none({ ...state, showLyrics: !state.showLyrics, lyricsTop: 0 });
    case 'lyrics-scroll': {
      const count = state.lyrics?.lines.length ?? 0;
      return none({ ...state, lyricsTop: clamp(state.lyricsTop + action.by, 0, Math.max(0, count - 1)) });
    }
    case 'song-info': {
      // The song under the cursor, or the one playing; `i` again (or Esc) closes.
      const song = state.info ? undefined : (songUnderCursor(state) ?? state.now?.song);
      return none({ ...state, info: song });
    }
    case 'help-scroll':
      // The view keeps the last page in view whatever the terminal's height; the lines are at most two a key.
      return none({ ...state, helpTop: clamp(state.helpTop + action.by, 0, 2 * helpLines(state.bindings).length) });
  }
}
