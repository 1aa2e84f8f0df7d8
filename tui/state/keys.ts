/**
 * Keys to actions: a pure function of the key and the state (what a key means depends on the
 * panel, on whether the search is open, on a call). The habits of ncmpcpp and cmus where nothing else decides.
 */
import type { Action, CallAction } from './actions.js';
import type { PlayerState } from './model.js';
import { selectedRow } from './selectors.js';

/** A key as blessed reports it: the typed character and the key's name. */
export interface Key {
  ch?: string | undefined;
  name?: string | undefined;
  ctrl?: boolean | undefined;
}

export const KEY_HELP: ReadonlyArray<[string, string]> = [
  ['Enter', 'play the selected song (open an artist or album); on a device: listen along, in sync'],
  ['Esc', 'stop following (so does any playback key of your own)'],
  ['Space, p', 'pause / resume'],
  ['s', 'stop'],
  ['r', 'restart the song'],
  ['l', 'loop: off, one, all'],
  ['n, >', 'next song'],
  ['b, <', 'previous song'],
  ['c', 'choose another song (go to the library)'],
  ['Left / Right', 'seek -5 / +5 s'],
  [', / .', 'seek -30 / +30 s'],
  ['+ / -', 'volume'],
  ['/', 'search, accents aside (artist: album: title: genre: year: for a field); Enter keeps the match, Esc cancels'],
  ['v', 'library as a list / as artist > album > song (Right opens, Left closes)'],
  ['a, A', 'add the selection (song, album, artist) to the queue / play it next'],
  ['z', 'shuffle the queue on / off'],
  ['In the queue', 'Enter plays from there, d removes, J/K move down/up, X clears'],
  ['W', 'write the queue as an M3U8 playlist'],
  ['Up/Down, j/k', 'move (PgUp/PgDn, g/G: page, top, bottom)'],
  ['Tab', 'library / queue / devices'],
  ['R', 'listen to the radio / stop listening'],
  ['C', 'call the selected device (devices panel); y / n answer a call'],
  ['h, m', 'in a call: hang up, mute the microphone (Esc cancels a call that rings)'],
  ['i', 'the song’s tags, file, format and bitrate, and what of it is cached'],
  ['?', 'this help'],
  ['q', 'quit'],
];

/**
 * One physical key is one action. blessed reports a carriage return twice, as `enter` (a copy it
 * makes) and then as `return`; a line feed (Ctrl-J, some terminals' Enter) comes as `linefeed`.
 * Only `return` and `linefeed` count as Enter.
 */
function enterKey(key: Key): boolean {
  return key.name === 'return' || key.name === 'linefeed';
}

/** With the help open: it scrolls, and Esc, ? or q close it. */
function helpKey(key: Key, name: string | undefined): Action | undefined {
  if (name === 'escape' || key.ch === '?' || key.ch === 'q') return { type: 'help' };
  const by =
    name === 'up' || key.ch === 'k'
      ? -1
      : name === 'down' || key.ch === 'j'
        ? 1
        : name === 'pageup'
          ? -10
          : name === 'pagedown' || name === 'space'
            ? 10
            : name === 'home' || key.ch === 'g'
              ? -1000
              : name === 'end' || key.ch === 'G'
                ? 1000
                : 0;
  return by === 0 ? undefined : { type: 'help-scroll', by };
}

export function keyToAction(key: Key, state: PlayerState): Action | undefined {
  if (key.name === 'enter') return undefined; // blessed's copy of a `return`
  const name = enterKey(key) ? 'return' : key.name;
  if (state.showHelp) return helpKey(key, name);
  if (state.info) return name === 'escape' || key.ch === 'i' || key.ch === 'q' ? { type: 'song-info' } : undefined;
  if (state.search.active) {
    if (name === 'return') return { type: 'search-close', keep: true };
    if (name === 'escape') return { type: 'search-close', keep: false };
    if (name === 'backspace') return { type: 'search-erase' };
    if (name === 'up') return { type: 'move', by: -1 };
    if (name === 'down') return { type: 'move', by: 1 };
    if (key.ch && !key.ctrl && key.ch >= ' ' && key.ch !== '\x7f') return { type: 'search-type', text: key.ch };
    return undefined;
  }
  if (key.ctrl && name === 'c') return { type: 'quit' };
  const forCall = callKey(key, state);
  if (forCall) return forCall;
  if (state.confirm && (key.ch === 'y' || key.ch === 'n' || name === 'escape'))
    return { type: 'confirm', yes: key.ch === 'y' };
  const panel = panelKey(key, name, state);
  if (panel) return panel;
  switch (name) {
    case 'return':
      if (state.focus !== 'devices') return { type: 'play-selected' };
      // A device that says where it is in its song is followed; an older one is joined once, from its status.
      return state.devices[state.selectedDevice]?.playback ? { type: 'follow-device' } : { type: 'play-device' };
    case 'escape':
      return state.follow ? { type: 'unfollow' } : undefined;
    case 'space':
      return { type: 'toggle-pause' };
    case 'left':
      return { type: 'seek', by: -5 };
    case 'right':
      return { type: 'seek', by: 5 };
    case 'up':
      return { type: 'move', by: -1 };
    case 'down':
      return { type: 'move', by: 1 };
    case 'pageup':
      return { type: 'move', by: -10 };
    case 'pagedown':
      return { type: 'move', by: 10 };
    case 'home':
      return { type: 'move-to', where: 'top' };
    case 'end':
      return { type: 'move-to', where: 'bottom' };
    case 'tab':
      return { type: 'focus-next' };
  }
  switch (key.ch) {
    case 'p':
      return { type: 'toggle-pause' };
    case 's':
      return { type: 'stop' };
    case 'r':
      return { type: 'restart' };
    case 'l':
      return { type: 'cycle-loop' };
    case 'n':
    case '>':
      return { type: 'next' };
    case 'b':
    case '<':
      return { type: 'previous' };
    case 'c':
      return { type: 'choose' };
    case ',':
      return { type: 'seek', by: -30 };
    case '.':
      return { type: 'seek', by: 30 };
    case '+':
    case '=':
      return { type: 'volume', by: 5 };
    case '-':
      return { type: 'volume', by: -5 };
    case '/':
      return { type: 'search-open' };
    case 'j':
      return { type: 'move', by: 1 };
    case 'k':
      return { type: 'move', by: -1 };
    case 'g':
      return { type: 'move-to', where: 'top' };
    case 'G':
      return { type: 'move-to', where: 'bottom' };
    case 'R':
      return { type: 'toggle-radio' };
    case '?':
      return { type: 'help' };
    case 'i':
      return { type: 'song-info' };
    case 'q':
      return { type: 'quit' };
    case 'v':
      return { type: 'toggle-view' };
    case 'z':
      return { type: 'toggle-shuffle' };
    case 'W':
      return { type: 'write-playlist' };
  }
  return undefined;
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
