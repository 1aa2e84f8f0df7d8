/**
 * Everything the screen shows, in one object. Views render from it; the state machine
 * (update.ts) is the only code that makes a new one.
 */
import type { LossCounts } from '../../common/datagram/loss-meter.js';
import type { StreamInfo } from '../../common/datagram/messages.js';
import type { DeviceInfo, SongInfo } from '../../common/protocol/records.js';
import type { ScanProgress } from '../../common/protocol/replies.js';
import type { CallStats, CallView } from './calls.js';
import { searchRows, treeRows, type LibraryRow } from './library-tree.js';
import { emptyQueue, type QueueState } from './queue.js';

export type PlayState = 'Playing' | 'Paused' | 'Stopped';
export type LoopMode = 'off' | 'one' | 'all';
/** The panels Tab cycles through, in its order. */
export const PANELS = ['library', 'queue', 'devices'] as const;
export type Panel = (typeof PANELS)[number];

export interface NowPlaying {
  song: SongInfo;
  /** Seconds into the song, as far as the audio actually played. */
  position: number;
  /** The queue entry it plays from, if it does. */
  entry?: number | undefined;
}

/** Where listening to the radio is at (playback's radio source says which). */
export type RadioStatus = 'connecting' | 'buffering' | 'listening' | 'ended' | 'refused';

/** The live radio as the player shows it (`R`). */
export interface RadioState {
  on: boolean;
  status: RadioStatus | 'off';
  text?: string | undefined;
  info?: StreamInfo | undefined;
  /** Seconds into the programme's current song, as far as played here. */
  position: number;
  /** Listeners the daemon counts (`radio` over TCP). */
  listeners?: number | undefined;
}

/** What the network did to the datagrams lately (radio, or a song over UDP: loss before repair). */
export interface UdpStats {
  source: 'radio' | 'stream';
  /** Loss in % of each of the last seconds (at most 60), oldest first. */
  history: number[];
  /** Loss in % over the last 10 seconds: the figure shown as `loss N.N%`. */
  loss: number;
  totals: LossCounts;
  /** RFC 3550 interarrival jitter (radio only: song streams carry byte offsets, not time). */
  jitterMs: number | undefined;
}

export interface PlayerState {
  /** This device's name (what `hello` said). */
  deviceName: string;
  connection: 'connecting' | 'online' | 'offline';
  /** The daemon's catalog state (`stats`): 'loading' while it makes or reads its library. */
  catalog: string;
  /** While the daemon scans its library: how far it is. */
  catalogScan: ScanProgress | undefined;
  library: SongInfo[];
  /** etag -> indexes of the blocks on disk. */
  cached: Map<string, Set<number>>;
  /** The library panel: the flat list or the artist -> album -> song tree (`v`), and its open nodes. */
  libraryView: 'list' | 'tree';
  expanded: ReadonlySet<string>;
  /** The cursor in the library panel's rows (libraryRows). */
  selected: number;
  search: { active: boolean; query: string };
  focus: Panel;
  queue: QueueState;
  selectedEntry: number;
  /** A question on the status line that y / n answer. */
  confirm: 'clear-queue' | undefined;
  /** The device this one follows (listen along), if any. */
  follow: { leader: string } | undefined;
  devices: DeviceInfo[];
  selectedDevice: number;
  playState: PlayState;
  loop: LoopMode;
  now: NowPlaying | undefined;
  volume: number;
  /** Download speed now, bytes a second. */
  downloadRate: number;
  message: { text: string; error: boolean } | undefined;
  audioOutput: string;
  showHelp: boolean;
  radio: RadioState;
  udp: UdpStats | undefined;
  /** Whether this player takes calls (registered; `--no-calls` says no). */
  callsEnabled: boolean;
  /** This device's live call, if any, and the figures of its voice. */
  call: CallView | undefined;
  callStats: CallStats | undefined;
  /** The call's incoming voice lost, % of each of the last seconds (at most 60), oldest first: the loss chart during a call. */
  callLoss: number[];
}

export function initialState(deviceName: string, callsEnabled = true, seed = 1): PlayerState {
  return {
    deviceName,
    connection: 'connecting',
    catalog: 'ready',
    catalogScan: undefined,
    library: [],
    cached: new Map(),
    libraryView: 'list',
    expanded: new Set(),
    selected: 0,
    search: { active: false, query: '' },
    focus: 'library',
    queue: emptyQueue(seed),
    selectedEntry: 0,
    confirm: undefined,
    follow: undefined,
    devices: [],
    selectedDevice: 0,
    playState: 'Stopped',
    loop: 'off',
    now: undefined,
    volume: 100,
    downloadRate: 0,
    message: undefined,
    audioOutput: '',
    showHelp: false,
    radio: { on: false, status: 'off', position: 0 },
    udp: undefined,
    callsEnabled,
    call: undefined,
    callStats: undefined,
    callLoss: [],
  };
}

const listRows = new WeakMap<readonly SongInfo[], LibraryRow[]>();

/** The rows the library panel shows: the songs the search matches (best first), the tree, or the list. */
export function libraryRows(state: PlayerState): LibraryRow[] {
  if (state.search.query.trim()) return searchRows(state.library, state.search.query);
  if (state.libraryView === 'tree') return treeRows(state.library, state.expanded);
  let rows = listRows.get(state.library);
  if (!rows)
    listRows.set(state.library, (rows = state.library.map((song): LibraryRow => ({ kind: 'song', song, depth: 0 }))));
  return rows;
}

/** The row under the library cursor. */
export const selectedRow = (state: PlayerState): LibraryRow | undefined => libraryRows(state)[state.selected];

/** The song Enter would play: the one under the cursor of the library or the queue, if any. */
export function songUnderCursor(state: PlayerState): SongInfo | undefined {
  if (state.focus === 'queue') return state.queue.entries[state.selectedEntry]?.song;
  if (state.focus !== 'library') return undefined;
  const row = selectedRow(state);
  return row?.kind === 'song' ? row.song : undefined;
}

/** `1:05`, `12:00`, `1:02:03`. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * This device's status as `att status` sends it: read by people and by programs alike.
 *
 * @example statusText(state) // 'playing Artist/Album/01 Song.mp3 1:23/3:35', 'radio Artist/Song.mp3', 'in call with bob'
 */
export function statusText(state: PlayerState): string {
  if (state.call?.state === 'active') return `in call with ${state.call.peer}`;
  if (state.radio.on) return `radio ${state.radio.info?.file ?? ''}`.trim();
  if (!state.now || state.playState === 'Stopped') return 'idle';
  const word = state.playState === 'Playing' ? 'playing' : 'paused';
  return `${word} ${state.now.song.file} ${clock(state.now.position)}/${clock(state.now.song.duration)}`;
}

/** Reads another device's status back: the file and the position it is at, if it plays one. */
export function parseStatus(status: string): { playing: boolean; file: string; position: number } | undefined {
  const m = /^(playing|paused) (.+) (\d+(?::\d\d){1,2})\/(\d+(?::\d\d){1,2})$/.exec(status);
  if (!m) return undefined;
  const seconds = (m[3] as string).split(':').reduce((total, part) => total * 60 + Number(part), 0);
  return { playing: m[1] === 'playing', file: m[2] as string, position: seconds };
}
