/**
 * The player's model: everything the screen shows, in one object. Views render from it; the state
 * machine (update.ts for actions, events.ts for what the world tells) is the only code that makes a
 * new one. What is read off it (rows, the song under the cursor, the status) is in selectors.ts.
 */
import { defaultBindings, type Bindings } from './bindings.js';
import type { LossCounts } from '../../common/datagram/loss-meter.js';
import type { StreamInfo } from '../../common/datagram/messages.js';
import type { DeviceInfo, SongFormat, SongInfo } from '../../common/protocol/records.js';
import type { ScanProgress } from '../../common/protocol/replies.js';
import type { SongMarks } from '../../common/protocol/stickers.js';
import type { LyricLine } from '../../common/lyrics/lrc.js';
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
  /** Seconds of it heard in this play (a seek's jump not counted), and whether the play was counted (marks.ts). */
  listened?: number | undefined;
  counted?: boolean | undefined;
}

/** The lyrics of a song as the daemon gave them (`lyrics`), or why there are none. */
export interface SongLyricsView {
  songId: number;
  status: 'ready' | 'none' | 'failed';
  synced: boolean;
  lines: readonly LyricLine[];
  /** Where they came from (`lrc`, `tags`), or why they did not come. */
  note: string;
}

/** The stored playlists view (`P`): the daemon's playlists, the one under the cursor, a name being typed to save the queue as. */
export interface PlaylistsView {
  open: boolean;
  names: ReadonlyArray<{ name: string; modified: string }>;
  selected: number;
  naming: string | undefined;
}

/** The cover of a song drawn as half blocks: rows of cells, each its code point and two colours (0xRRGGBB); none: no picture. */
export interface CoverView {
  etag: string;
  /** Half-block cells; blank ones where the terminal draws the picture itself (`image`). */
  cells: ReadonlyArray<ReadonlyArray<readonly [number, number, number]>>;
  /** The picture as the terminal's own drawing (the kitty graphics protocol, sixels), placed over the blank cells. */
  image?: CoverImage | undefined;
}

/** A cover as the terminal draws it: its escape sequence, and the cells it covers. */
export interface CoverImage {
  kind: 'kitty' | 'sixel';
  escape: string;
  cols: number;
  rows: number;
}

/** The library's order (`o`): by path, or by the marks kept on the daemon. */
export type LibraryOrder = 'path' | 'most-played' | 'top-rated' | 'favorites' | 'never-played';

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

export interface CallView {
  id: number;
  /** The other device. */
  peer: string;
  incoming: boolean;
  state: 'ringing' | 'active';
  /** When it started ringing, or was answered (ms since the epoch, this machine's clock). */
  since: number;
  muted: boolean;
  /** This party's media token (what its VOICE datagrams carry). */
  token: string;
}

/** What the call panel shows of the voice coming in (VoiceCall's figures), once a second. */
export interface CallStats {
  received: number;
  lost: number;
  recovered: number;
  late: number;
  /** Packets that would not decode (concealed): none from a well-behaved peer. */
  corrupt?: number | undefined;
  jitterMs: number;
  depthMs: number;
  /** The microphone's level, 0-1. */
  micLevel: number;
  /** How the other side receives this side's voice, and the round trip (from its reports; none yet: undefined). */
  outgoing?: { received: number; lost: number; late: number; jitterMs: number } | undefined;
  roundTripMs?: number | undefined;
}

/** Quitting while a song plays: ask, hand it to a player without a screen on this machine, or stop it (as a player without a screen does). */
export type KeepPlaying = 'ask' | 'always' | 'never';

/** An entry of another device's queue: its song as this library has it, or only its name when the library lacks it. */
export interface DrivenEntry {
  file: string;
  song: SongInfo | undefined;
}

/** Another device's queue as it said it, entry for entry (positions are its own), and how many songs this library lacks. */
export interface DrivenQueue {
  device: string;
  version: number;
  entries: DrivenEntry[];
  missing: number;
}

export interface PlayerState {
  /** This device's name (what `hello` said). */
  deviceName: string;
  /** `refused`: the daemon refused the password, and is not asked again with it. */
  connection: 'connecting' | 'online' | 'offline' | 'refused';
  /** The daemon's catalog state (`stats`): 'loading' while it makes or reads its library. */
  catalog: string;
  /** While the daemon scans its library: how far it is. */
  catalogScan: ScanProgress | undefined;
  /** While the daemon makes its demo library (its first start with no music): songs written, of all. */
  catalogDemo: ScanProgress | undefined;
  library: SongInfo[];
  /** etag -> indexes of the blocks on disk. */
  cached: Map<string, Set<number>>;
  /** Formats listed that this player cannot play here, and why (M4A without an ffmpeg). */
  unplayable: ReadonlyMap<SongFormat, string>;
  /** Ratings, favourites and play counts, by song id (the daemon's stickers). */
  marks: ReadonlyMap<number, SongMarks>;
  libraryOrder: LibraryOrder;
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
  confirm: 'clear-queue' | 'delete-playlist' | 'keep-playing' | undefined;
  /** What quitting does while a song plays here: ask whether it plays on without a screen, play on, or stop. */
  keepPlaying: KeepPlaying;
  /** The player without a screen this one's music is being handed to, before this one quits. */
  handingOver: string | undefined;
  playlists: PlaylistsView;
  /** The device this one follows (listen along), if any. */
  follow: { leader: string } | undefined;
  /** The device the playback keys drive (remote control), or none: this one. */
  control: string | undefined;
  /** The queue of a device driven, as it last said it (`queue <device>`): the queue panel shows it while driving it. */
  drivenQueue: DrivenQueue | undefined;
  /** --follow: the device to follow once the device list has it. */
  followAtStart: string | undefined;
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
  /** The cover of the song playing, once drawn. */
  cover: CoverView | undefined;
  /** The lyrics view (`L`): open or not, the lyrics of the song playing once they came, the first line shown of plain ones. */
  showLyrics: boolean;
  lyrics: SongLyricsView | undefined;
  lyricsTop: number;
  /** The song whose tags and file are shown over the panels (`i`), if any. */
  info: SongInfo | undefined;
  /** The keys' commands in force: the defaults with the user's keys.json over them. */
  bindings: Bindings;
  /** The first line of the help shown, when it is taller than the screen. */
  helpTop: number;
  radio: RadioState;
  udp: UdpStats | undefined;
  /** Whether this player takes calls (registered; `--no-calls` says no). */
  callsEnabled: boolean;
  /**
   * Where playback stopped because the daemon was away and nothing more was on disk: it goes on
   * from there when the daemon is back (any play of the user's own forgets it).
   */
  resumeWhenOnline: { song: SongInfo; position: number; entry: number | undefined } | undefined;
  /** Songs that failed to play one after another, each skipped: past MAX_SKIPS_IN_A_ROW playback stops. */
  skippedInARow: number;
  /** This device's live call, if any, and the figures of its voice. */
  call: CallView | undefined;
  callStats: CallStats | undefined;
  /** The call's incoming voice lost, % of each of the last seconds (at most 60), oldest first: the loss chart during a call. */
  callLoss: number[];
}

export function initialState(deviceName: string, callsEnabled = true, seed = 1, followAtStart?: string): PlayerState {
  return {
    deviceName,
    connection: 'connecting',
    catalog: 'ready',
    catalogScan: undefined,
    catalogDemo: undefined,
    resumeWhenOnline: undefined,
    library: [],
    cached: new Map(),
    unplayable: new Map(),
    marks: new Map(),
    libraryOrder: 'path',
    libraryView: 'list',
    expanded: new Set(),
    selected: 0,
    search: { active: false, query: '' },
    focus: 'library',
    queue: emptyQueue(seed),
    selectedEntry: 0,
    confirm: undefined,
    keepPlaying: 'never',
    handingOver: undefined,
    playlists: { open: false, names: [], selected: 0, naming: undefined },
    follow: undefined,
    control: undefined,
    drivenQueue: undefined,
    followAtStart,
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
    helpTop: 0,
    cover: undefined,
    showLyrics: false,
    lyrics: undefined,
    lyricsTop: 0,
    bindings: defaultBindings,
    info: undefined,
    radio: { on: false, status: 'off', position: 0 },
    udp: undefined,
    callsEnabled,
    skippedInARow: 0,
    call: undefined,
    callStats: undefined,
    callLoss: [],
  };
}
