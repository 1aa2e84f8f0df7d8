/**
 * Keys to actions: a pure function of the key and the state (what a key means depends on the
 * panel, on whether the search is open, on a call). The habits of ncmpcpp and cmus where nothing else decides.
 */
import type { Action, CallAction } from './actions.js';
import type { PlayerState } from './model.js';
import { boundAction } from './bindings.js';
import { selectedRow } from './selectors.js';

/** A key as blessed reports it: the typed character and the key's name. */
export interface Key {
  ch?: string | undefined;
  name?: string | undefined;
  ctrl?: boolean | undefined;
}

/**
 * One physical key is one action. blessed reports a carriage return twice, as `enter` (a copy it
 * makes) and then as `return`; a line feed (Ctrl-J, some terminals' Enter) comes as `linefeed`.
 * Only `return` and `linefeed` count as Enter.
 */
function enterKey(key: Key): boolean {
  return key.name === 'return' || key.name === 'linefeed';
}

/** How far a key scrolls a view over the panels (the help, lyrics): lines, 0 for a key that does not. */
function scrollKey(key: Key, name: string | undefined): number {
  if (name === 'up' || key.ch === 'k') return -1;
  if (name === 'down' || key.ch === 'j') return 1;
  if (name === 'pageup') return -10;
  if (name === 'pagedown' || name === 'space') return 10;
  if (name === 'home' || key.ch === 'g') return -1000;
  if (name === 'end' || key.ch === 'G') return 1000;
  return 0;
}

/** With the help open: it scrolls, and Esc, ? or q close it. */
function helpKey(key: Key, name: string | undefined): Action | undefined {
  if (name === 'escape' || key.ch === '?' || key.ch === 'q') return { type: 'help' };
  const by = scrollKey(key, name);
  return by === 0 ? undefined : { type: 'help-scroll', by };
}

export function keyToAction(key: Key, state: PlayerState): Action | undefined {
  if (key.name === 'enter') return undefined; // blessed's copy of a `return`
  const name = enterKey(key) ? 'return' : key.name;
  if (state.showHelp) return helpKey(key, name);
  if (state.info) return name === 'escape' || key.ch === 'i' || key.ch === 'q' ? { type: 'song-info' } : undefined;
  if (state.showLyrics) {
    // Over the panels: it closes and scrolls; every other key is the player's (a seek moves the line sung).
    if (name === 'escape' || key.ch === 'L') return { type: 'toggle-lyrics' };
    // Space stays the player's pause here.
    const by = name === 'space' ? 0 : scrollKey(key, name);
    if (by !== 0) return { type: 'lyrics-scroll', by };
  }
  if (state.search.active) {
    if (name === 'return') return { type: 'search-close', keep: true };
    if (name === 'escape') return { type: 'search-close', keep: false };
    if (name === 'backspace') return { type: 'search-erase' };
    if (name === 'up') return { type: 'move', by: -1 };
    if (name === 'down') return { type: 'move', by: 1 };
    if (key.ch && !key.ctrl && key.ch >= ' ' && key.ch !== '\x7f') return { type: 'search-type', text: key.ch };
    return undefined;
  }
  if (state.playlists.naming !== undefined) {
    if (name === 'return') return { type: 'playlist-name-done', keep: true };
    if (name === 'escape') return { type: 'playlist-name-done', keep: false };
    if (name === 'backspace') return { type: 'playlist-name-erase' };
    if (key.ch && !key.ctrl && key.ch >= ' ' && key.ch !== '\x7f') return { type: 'playlist-name-type', text: key.ch };
    return undefined;
  }
  if (key.ctrl && name === 'c') return { type: 'quit' };
  const forCall = callKey(key, state);
  if (forCall) return forCall;
  if (state.confirm && (key.ch === 'y' || key.ch === 'n' || name === 'escape'))
    return name === 'escape' ? { type: 'confirm', yes: false, cancel: true } : { type: 'confirm', yes: key.ch === 'y' };
  if (state.playlists.open) {
    const playlists = playlistsKey(key, name);
    if (playlists) return playlists;
  }
  const panel = panelKey(key, name, state);
  if (panel) return panel;
  switch (name) {
    case 'return':
      if (state.focus !== 'devices') return { type: 'play-selected' };
      return { type: 'follow-device' };
    case 'escape':
      if (state.control) return { type: 'release-control' };
      return state.follow ? { type: 'unfollow' } : undefined;
  }
  return boundAction(state.bindings, key);
}

/** Keys that mean something because of a call; undefined: the key is the player's as usual. */
export function callKey(key: Key, state: PlayerState): CallAction | undefined {
  const call = state.call;
  if (call?.state === 'ringing' && call.incoming) {
    if (key.ch === 'y') return { type: 'answer-call', accept: true };
    if (key.ch === 'n') return { type: 'answer-call', accept: false };
  }
  if (call && (key.ch === 'h' || (key.name === 'escape' && call.state === 'ringing' && !call.incoming)))
    return { type: 'hang-up' };
  if (call?.state === 'active' && key.ch === 'm') return { type: 'toggle-mute' };
  if (!call && key.ch === 'C' && state.focus === 'devices' && state.callsEnabled) return { type: 'call-selected' };
  return undefined;
}

/** Keys of the playlists view (`P`); the others are the player's as usual. */
function playlistsKey(key: Key, name: string | undefined): Action | undefined {
  if (name === 'escape' || key.ch === 'P') return { type: 'toggle-playlists' };
  if (name === 'up' || key.ch === 'k') return { type: 'playlist-move', by: -1 };
  if (name === 'down' || key.ch === 'j') return { type: 'playlist-move', by: 1 };
  if (name === 'return') return { type: 'playlist-load', mode: 'replace' };
  if (key.ch === 'a') return { type: 'playlist-load', mode: 'append' };
  if (key.ch === 'S') return { type: 'playlist-name-start' };
  if (key.ch === 'd' || name === 'delete') return { type: 'playlist-delete' };
  return undefined;
}

/** Keys that mean something in one panel: the queue's editing, the tree's opening and closing, adding to the queue. */
function panelKey(key: Key, name: string | undefined, state: PlayerState): Action | undefined {
  if (state.focus === 'queue') {
    if (name === 'return') return { type: 'queue-play' };
    if (name === 'delete' || key.ch === 'd') return { type: 'queue-remove' };
    if (key.ch === 'J') return { type: 'queue-move', by: 1 };
    if (key.ch === 'K') return { type: 'queue-move', by: -1 };
    if (key.ch === 'X') return { type: 'queue-clear' };
    return undefined;
  }
  if (state.focus === 'devices' && key.ch === 'D') return { type: 'control-device' };
  if (state.focus === 'devices' && key.ch === 'M') return { type: 'handoff', way: 'here' };
  if (state.focus === 'devices' && key.ch === 'S') return { type: 'handoff', way: 'there' };
  if (state.focus === 'devices' && key.ch === 'B') return { type: 'handoff', way: 'both' };
  if (state.focus !== 'library') return undefined;
  if (key.ch === 'a') return { type: 'queue-add', where: 'end' };
  if (key.ch === 'A') return { type: 'queue-add', where: 'next' };
  if (state.libraryView === 'tree' && !state.search.query) {
    // On an artist or album Right opens; anywhere Left closes (on a song: its album). Right on a song seeks.
    if (name === 'right' && selectedRow(state)?.kind !== 'song') return { type: 'tree-open' };
    if (name === 'left') return { type: 'tree-close' };
  }
  return undefined;
}
