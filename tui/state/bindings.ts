/**
 * The player's commands by name, the keys they are on by default, and the user's own bindings
 * (keys.json, as ncmpcpp's bindings file and cmus's :bind): a key of the file goes over the
 * default, "none" takes a key off. The help is made from the bindings in force. Pure.
 */
/** What a command does (an action of actions.ts) and how the help says it. */
interface Command {
  action: { type: string; [field: string]: unknown };
  help: string;
}

export const COMMANDS = {
  'toggle-pause': { action: { type: 'toggle-pause' }, help: 'pause / resume' },
  stop: { action: { type: 'stop' }, help: 'stop' },
  restart: { action: { type: 'restart' }, help: 'restart the song' },
  'cycle-loop': { action: { type: 'cycle-loop' }, help: 'loop: off, one, all' },
  next: { action: { type: 'next' }, help: 'next song' },
  previous: { action: { type: 'previous' }, help: 'previous song' },
  choose: { action: { type: 'choose' }, help: 'choose another song (go to the library)' },
  'seek-back': { action: { type: 'seek', by: -5 }, help: 'seek back 5 s' },
  'seek-forward': { action: { type: 'seek', by: 5 }, help: 'seek on 5 s' },
  'seek-back-long': { action: { type: 'seek', by: -30 }, help: 'seek back 30 s' },
  'seek-forward-long': { action: { type: 'seek', by: 30 }, help: 'seek on 30 s' },
  'volume-up': { action: { type: 'volume', by: 5 }, help: 'volume up' },
  'volume-down': { action: { type: 'volume', by: -5 }, help: 'volume down' },
  search: {
    action: { type: 'search-open' },
    help: 'search, accents aside (artist: album: title: genre: year: for a field); Enter keeps the match, Esc cancels',
  },
  'toggle-view': {
    action: { type: 'toggle-view' },
    help: 'library as a list / as artist > album > song (Right opens, Left closes)',
  },
  'toggle-shuffle': { action: { type: 'toggle-shuffle' }, help: 'shuffle the queue on / off' },
  'write-playlist': { action: { type: 'write-playlist' }, help: 'write the queue as an M3U8 playlist' },
  down: { action: { type: 'move', by: 1 }, help: 'move down' },
  up: { action: { type: 'move', by: -1 }, help: 'move up' },
  'page-down': { action: { type: 'move', by: 10 }, help: 'a page down' },
  'page-up': { action: { type: 'move', by: -10 }, help: 'a page up' },
  top: { action: { type: 'move-to', where: 'top' }, help: 'to the top' },
  bottom: { action: { type: 'move-to', where: 'bottom' }, help: 'to the bottom' },
  'focus-next': { action: { type: 'focus-next' }, help: 'library / queue / devices' },
  'toggle-radio': { action: { type: 'toggle-radio' }, help: 'listen to the radio / stop listening' },
  'rate-1': { action: { type: 'rate', stars: 1 }, help: 'rate the song 1 (under the cursor, else playing)' },
  'rate-2': { action: { type: 'rate', stars: 2 }, help: 'rate it 2' },
  'rate-3': { action: { type: 'rate', stars: 3 }, help: 'rate it 3' },
  'rate-4': { action: { type: 'rate', stars: 4 }, help: 'rate it 4' },
  'rate-5': { action: { type: 'rate', stars: 5 }, help: 'rate it 5' },
  'rate-clear': { action: { type: 'rate', stars: 0 }, help: 'clear its rating' },
  'toggle-favorite': { action: { type: 'toggle-favorite' }, help: 'mark it a favourite / not' },
  'cycle-order': {
    action: { type: 'cycle-order' },
    help: 'library order: by path, most played, top rated, favourites, never played',
  },
  playlists: {
    action: { type: 'toggle-playlists' },
    help: 'stored playlists: Enter loads one as the queue, a adds it, S saves the queue as one, d deletes',
  },
  'hand-on': {
    action: { type: 'play-queue-save' },
    help: 'keep the queue and the place in the song on the server, for your phone to take up (Subsonic play queue)',
  },
  'take-up': {
    action: { type: 'play-queue-load' },
    help: 'take up the play queue your phone (or another device) kept on the server, from its place',
  },
  lyrics: {
    action: { type: 'toggle-lyrics' },
    help: 'lyrics of the song playing: synced ones follow it, plain ones scroll (↑↓); L or Esc closes',
  },
  'song-info': {
    action: { type: 'song-info' },
    help: 'the song’s tags, file, format and bitrate, and what of it is cached',
  },
  help: { action: { type: 'help' }, help: 'this help' },
  quit: { action: { type: 'quit' }, help: 'quit (while a song plays: asks whether it plays on without a screen)' },
} as const satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;

/** A key by name: one typed character (`n`, `N`, `>`), or `space`, `left`, `pagedown`, `f5`, `ctrl-n` ... */
export type KeyId = string;

/** Keys by name, as the help writes them. */
const NAMED_KEYS: Record<string, string> = {
  space: 'Space',
  tab: 'Tab',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  delete: 'Delete',
  backspace: 'Backspace',
  insert: 'Insert',
  ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i + 1}`, `F${i + 1}`])),
};

export const DEFAULT_BINDINGS: ReadonlyArray<readonly [KeyId, CommandName]> = [
  ['space', 'toggle-pause'],
  ['p', 'toggle-pause'],
  ['s', 'stop'],
  ['r', 'restart'],
  ['l', 'cycle-loop'],
  ['n', 'next'],
  ['>', 'next'],
  ['b', 'previous'],
  ['<', 'previous'],
  ['c', 'choose'],
  ['left', 'seek-back'],
  ['right', 'seek-forward'],
  [',', 'seek-back-long'],
  ['.', 'seek-forward-long'],
  ['+', 'volume-up'],
  ['=', 'volume-up'],
  ['-', 'volume-down'],
  ['/', 'search'],
  ['v', 'toggle-view'],
  ['z', 'toggle-shuffle'],
  ['W', 'write-playlist'],
  ['down', 'down'],
  ['j', 'down'],
  ['up', 'up'],
  ['k', 'up'],
  ['pagedown', 'page-down'],
  ['pageup', 'page-up'],
  ['home', 'top'],
  ['g', 'top'],
  ['end', 'bottom'],
  ['G', 'bottom'],
  ['tab', 'focus-next'],
  ['R', 'toggle-radio'],
  ['i', 'song-info'],
  ['1', 'rate-1'],
  ['2', 'rate-2'],
  ['3', 'rate-3'],
  ['4', 'rate-4'],
  ['5', 'rate-5'],
  ['0', 'rate-clear'],
  ['*', 'toggle-favorite'],
  ['o', 'cycle-order'],
  ['L', 'lyrics'],
  ['P', 'playlists'],
  ['H', 'hand-on'],
  ['T', 'take-up'],
  ['?', 'help'],
  ['q', 'quit'],
];

/** The bindings in force: a key to its command. */
export type Bindings = ReadonlyMap<KeyId, CommandName>;

export const defaultBindings: Bindings = new Map(DEFAULT_BINDINGS);

/** The name of a key as blessed reports it (`ctrl-x`, `space`, `G`), or undefined for one with none. */
export function keyId(key: {
  ch?: string | undefined;
  name?: string | undefined;
  ctrl?: boolean | undefined;
}): KeyId | undefined {
  if (key.ctrl && key.name) return `ctrl-${key.name}`;
  if (key.name && key.name in NAMED_KEYS) return key.name;
  return key.ch && key.ch >= ' ' && key.ch !== '\x7f' ? key.ch : undefined;
}

/** Whether `text` names a key a binding may take. Enter and Esc are the player's own, as Ctrl-C is. */
function validKey(text: string): boolean {
  if ([...text].length === 1) return text >= '!' && text !== '\x7f';
  if (text in NAMED_KEYS) return true;
  return /^ctrl-[a-z]$/.test(text) && text !== 'ctrl-c';
}

/**
 * The defaults with the user's file over them: `{ "x": "stop", "s": "none" }`. What is wrong with
 * an entry is said, and the entry left out: the rest of the file still counts.
 */
export function withUserBindings(file: Record<string, unknown>): { bindings: Bindings; problems: string[] } {
  const bindings = new Map(defaultBindings);
  const problems: string[] = [];
  for (const [key, command] of Object.entries(file)) {
    if (!validKey(key)) {
      problems.push(`'${key}' is not a key that can be bound (one character, a name such as space or f5, or ctrl-x)`);
      continue;
    }
    if (command === 'none') bindings.delete(key);
    else if (typeof command === 'string' && command in COMMANDS) bindings.set(key, command as CommandName);
    else problems.push(`'${key}': no command '${String(command)}'`);
  }
  return { bindings, problems };
}

/** The action the key is bound to, if any. */
export function boundAction(
  bindings: Bindings,
  key: Parameters<typeof keyId>[0],
): (typeof COMMANDS)[CommandName]['action'] | undefined {
  const id = keyId(key);
  const command = id === undefined ? undefined : bindings.get(id);
  return command === undefined ? undefined : COMMANDS[command].action;
}

/** How the help writes a key. */
const keyLabel = (id: KeyId): string =>
  NAMED_KEYS[id] ?? (id.startsWith('ctrl-') ? `Ctrl-${id.slice(5).toUpperCase()}` : id);

/** Keys that are not bindings: what they do depends on the panel, the call, a question asked. */
const FIXED_HELP: ReadonlyArray<readonly [string, string]> = [
  ['Enter', 'play the selected song (open an artist or album); on a device: listen along, in sync'],
  ['Esc', 'stop following (so does any playback key of your own); stop driving another device'],
];
const PANEL_HELP: ReadonlyArray<readonly [string, string]> = [
  ['a, A', 'in the library: add the selection (song, album, artist) to the queue / play it next'],
  ['In the queue', 'Enter plays from there, d removes, J/K move down/up, X clears'],
  ['C', 'call the selected device (devices panel); y / n answer a call'],
  ['D', 'drive the selected device (devices panel): the playback keys, a and Enter act on it'],
  ['M, S', "devices panel: move the selected device's music here / send what plays to it (song, place, queue)"],
  ['B', 'devices panel: what plays (here, or on the device driven) plays on the selected device too, in step'],
  ['h, m', 'in a call: hang up, mute the microphone (Esc cancels a call that rings)'],
];

/** The help's lines for the bindings in force: keys and what they do, each command once. */
export function helpLines(bindings: Bindings): Array<readonly [string, string]> {
  const keysOf = new Map<CommandName, KeyId[]>();
  for (const [key, command] of bindings) keysOf.set(command, [...(keysOf.get(command) ?? []), key]);
  const line = (command: CommandName): Array<readonly [string, string]> => {
    const keys = keysOf.get(command);
    return keys ? [[keys.map(keyLabel).join(', '), COMMANDS[command].help]] : [];
  };
  const last: CommandName[] = ['help', 'quit'];
  const commands = (Object.keys(COMMANDS) as CommandName[]).filter((command) => !last.includes(command));
  return [...FIXED_HELP, ...commands.flatMap(line), ...PANEL_HELP, ...last.flatMap(line)];
}
