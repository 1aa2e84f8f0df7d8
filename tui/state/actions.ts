/**
 * The player's vocabulary: what a key (or MPRIS, or another device) asks (`Action`), what the world
 * tells (`PlayerEvent`), and what is to be done outside once the state changed (`Effect`). Each is a
 * union discriminated by `type`, grouped by area; the state machine routes them by an exhaustive
 * switch, and the effect runner (app/effects.ts) carries every effect out in one place.
 */
import type { PlaybackRecord } from '../../common/protocol/playback.js';
import type { DeviceInfo, SongInfo } from '../../common/protocol/records.js';
import type { RemoteCommand } from '../../common/protocol/remote.js';
import type { CallRecord, ScanProgress } from '../../common/protocol/replies.js';
import type { CallStats, CoverView, LoopMode, PlayerState, RadioState, SongLyricsView, UdpStats } from './model.js';
import type { QueueState } from './queue.js';
import type { SessionSnapshot } from './session.js';

/** Playing songs: what ncmpcpp and MPD call the transport. */
export type TransportAction =
  | { type: 'play-selected' }
  | { type: 'toggle-pause' }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'cycle-loop' }
  | { type: 'set-loop'; loop: LoopMode }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'seek'; by: number }
  | { type: 'seek-to'; at: number }
  | { type: 'volume'; by: number }
  | { type: 'set-volume'; volume: number }
  /** Play what the selected device plays, where it is, once (a device that sends no playback record). */
  | { type: 'play-device' };

/** Moving about the screen: the cursor, the panels, the search, the help. */
export type NavigationAction =
  | { type: 'choose' }
  | { type: 'search-open' }
  | { type: 'search-type'; text: string }
  | { type: 'search-erase' }
  | { type: 'search-close'; keep: boolean }
  | { type: 'move'; by: number }
  | { type: 'move-to'; where: 'top' | 'bottom' }
  | { type: 'focus-next' }
  | { type: 'help' }
  | { type: 'help-scroll'; by: number }
  | { type: 'song-info' }
  /** The lyrics view of the song playing, open or closed (`L`), and scrolled by hand. */
  | { type: 'toggle-lyrics' }
  | { type: 'lyrics-scroll'; by: number };

/** The library and queue panels: adding to the queue, editing it, the tree, the view and shuffle. */
export type PanelAction =
  | { type: 'queue-add'; where: 'end' | 'next' }
  | { type: 'queue-play' }
  | { type: 'queue-remove' }
  | { type: 'queue-move'; by: 1 | -1 }
  | { type: 'queue-clear' }
  /** y, n; or Esc (`cancel`), which for some questions is not the same as n. */
  | { type: 'confirm'; yes: boolean; cancel?: boolean }
  | { type: 'toggle-shuffle' }
  | { type: 'set-shuffle'; on: boolean }
  | { type: 'toggle-view' }
  | { type: 'tree-open' }
  | { type: 'tree-close' }
  | { type: 'write-playlist' };

/** Listening along: follow the selected device, or the one called `name` (--follow); or stop. */
export type ListenAlongAction = { type: 'follow-device'; name?: string | undefined } | { type: 'unfollow' };

/** Driving another device: the playback keys and the queue panel act on it until Esc. */
export type ControlAction =
  | { type: 'control-device' }
  | { type: 'release-control' }
  /**
   * A handoff with the selected device: its music moves here, or what plays (here, or on the device
   * driven) goes there; or `both`: it plays there too, the selected device listening along.
   */
  | { type: 'handoff'; way: 'here' | 'there' | 'both' };

export type ControlEffect =
  | { type: 'remote'; device: string; command: RemoteCommand }
  /** A seek relative to where the device is now (its record placed in time). */
  | { type: 'remote-seek-by'; device: string; by: number }
  /** This device's song, its place and its queue handed to another device, which plays on from there. */
  | { type: 'send-playback'; to: string }
  /** Quitting: what plays goes to `to`, a player without a screen on this machine (started if it is not there). */
  | { type: 'hand-over'; to: string }
  /** The queue the device driven said last (`queue <device>`), for the queue panel. */
  | { type: 'fetch-driven-queue'; device: string };

/** The stored playlists view (`P`). */
export type PlaylistAction =
  | { type: 'toggle-playlists' }
  | { type: 'playlist-move'; by: number }
  /** The playlist under the cursor as the queue, or after it. */
  | { type: 'playlist-load'; mode: 'replace' | 'append' }
  /** Saving the queue: a name typed, then kept (Enter) or not (Esc). */
  | { type: 'playlist-name-start' }
  | { type: 'playlist-name-type'; text: string }
  | { type: 'playlist-name-erase' }
  | { type: 'playlist-name-done'; keep: boolean }
  | { type: 'playlist-delete' }
  /** The play queue shared with the user's other devices (a phone through the Subsonic API): this one's kept there, or that one taken up. */
  | { type: 'play-queue-save' }
  | { type: 'play-queue-load' };

/** Ratings, favourites (the song under the cursor, else the one playing) and the library's order by them. */
export type MarksAction =
  { type: 'rate'; stars: 0 | 1 | 2 | 3 | 4 | 5 } | { type: 'toggle-favorite' } | { type: 'cycle-order' };

export type CallAction =
  { type: 'call-selected' } | { type: 'answer-call'; accept: boolean } | { type: 'hang-up' } | { type: 'toggle-mute' };

export type Action =
  | TransportAction
  | NavigationAction
  | PanelAction
  | ListenAlongAction
  | ControlAction
  | CallAction
  | MarksAction
  | PlaylistAction
  | { type: 'toggle-radio' }
  /** `signal`: SIGTERM or SIGHUP, with nobody to answer a question. */
  | { type: 'quit'; signal?: boolean };

export type TransportEffect =
  /** From `at` s; with `inStep`, its first sound placed where a song started at `positionMs` at daemon instant `atMs` has reached then (a handoff). */
  | { type: 'play'; song: SongInfo; at: number; inStep?: { positionMs: number; atMs: number } | undefined }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'seek'; at: number }
  | { type: 'volume'; volume: number };

export type ListenAlongEffect =
  /** Tell the daemon whom this device follows (`att follow`). */
  | { type: 'follow-set'; leader: string | undefined }
  /** Where playback is to be, from now on. */
  | { type: 'follow-target'; song: SongInfo; record: PlaybackRecord }
  | { type: 'follow-end' };

export type CallEffect =
  | { type: 'call-device'; device: string }
  | { type: 'answer'; id: number; accept: boolean }
  | { type: 'hangup'; id: number }
  | { type: 'mute'; muted: boolean }
  | { type: 'bell' };

export type MarksEffect =
  /** A sticker of the song set, or deleted (`value` undefined). */
  | { type: 'set-sticker'; song: SongInfo; name: string; value: string | undefined }
  /** The song played long enough to count (`played`). */
  | { type: 'count-play'; song: SongInfo };

export type PlaylistEffect =
  | { type: 'playlists-list' }
  | { type: 'playlist-load'; name: string; mode: 'replace' | 'append' }
  | { type: 'playlist-save'; name: string; songs: SongInfo[] }
  | { type: 'playlist-delete'; name: string }
  /** The queue, the entry playing (an index of `songs`, -1: none) and where in it, as the user's play queue. */
  | { type: 'play-queue-save'; songs: SongInfo[]; current: number; positionMs: number }
  | { type: 'play-queue-load' };

export type Effect =
  | TransportEffect
  | MarksEffect
  | PlaylistEffect
  | ListenAlongEffect
  | ControlEffect
  | CallEffect
  | { type: 'radio-start' }
  | { type: 'radio-stop' }
  | { type: 'write-playlist'; songs: SongInfo[] }
  | { type: 'quit' };

/** What the outside world tells the state machine. */
export type PlayerEvent =
  | { type: 'song-ended' }
  /** The queue kept from the last run. */
  | { type: 'queue-restored'; queue: QueueState }
  /** keys.json read: its entries over the default keys; what is wrong in it is said. */
  | { type: 'key-bindings'; file: string; entries: Record<string, unknown> }
  | { type: 'session-restored'; session: Partial<SessionSnapshot> }
  /** The songs of a playlist (--queue-file), to become the queue once the library is there. */
  | { type: 'queue-loaded'; files: string[]; from: string; mode?: 'replace' | 'append' | undefined }
  /** The daemon's stored playlists. */
  | { type: 'playlists'; names: Array<{ name: string; modified: string }> }
  /** The user's play queue as another device saved it: it becomes the queue, and plays from its song and place. */
  | { type: 'play-queue'; files: string[]; current: number | undefined; positionMs: number; from: string }
  /** Playback went on into the song it was told follows (gapless): no new play. */
  /** A command another device sent through the daemon (remote control). */
  | { type: 'remote'; from: string; command: RemoteCommand }
  /** The device this one sent its music (`song`) to plays it now: it stops here, unless another song was chosen meanwhile. */
  | { type: 'handed-off'; to: string; song: number }
  /** The queue another device said (`queue <device>`), by the catalog's paths. */
  | { type: 'driven-queue'; device: string; version: number; files: string[] }
  /** The music could not be handed to the player without a screen: it plays on here. */
  | { type: 'hand-over-failed'; text: string }
  | { type: 'song-advanced'; song: SongInfo }
  | { type: 'position'; seconds: number }
  | { type: 'library'; songs: SongInfo[] }
  /** The cover of a song, drawn (no cells: it has none). */
  | { type: 'cover'; cover: CoverView }
  /** The lyrics of a song, as the daemon answered (none: `lyrics` is the reason). */
  | { type: 'lyrics'; lyrics: SongLyricsView }
  /** Every song's stickers the daemon keeps, by song id. */
  | { type: 'stickers'; stickers: ReadonlyMap<number, Readonly<Record<string, string>>> }
  /** The daemon is away: the songs the cache holds, and their blocks; they are the library while it has none. */
  | { type: 'offline-library'; songs: SongInfo[]; blocks: ReadonlyMap<string, ReadonlySet<number>> }
  /** `daemonNow`: the daemon's clock now (ms), when known: where a followed device is. */
  | { type: 'devices'; devices: DeviceInfo[]; daemonNow?: number | undefined }
  | { type: 'connection'; state: PlayerState['connection'] }
  | { type: 'catalog'; state: string; scan?: ScanProgress | undefined; demo?: ScanProgress | undefined }
  | { type: 'cached'; etag: string; blocks: ReadonlySet<number> }
  | { type: 'download-rate'; bytesPerSecond: number }
  | { type: 'message'; text: string; error: boolean }
  | { type: 'audio-output'; name: string }
  /** `offline`: the daemon was away and the song's next block not on disk. */
  | { type: 'playback-failed'; text: string; offline?: boolean }
  | { type: 'radio'; radio: Partial<RadioState> }
  | { type: 'udp-stats'; stats: UdpStats | undefined }
  | { type: 'calls'; records: CallRecord[]; now: number }
  | { type: 'call-stats'; stats: CallStats | undefined };

/** A new state and the effects that carry it out. */
export interface Update<E extends Effect = Effect> {
  state: PlayerState;
  effects: E[];
}

/** The end of an exhaustive switch: a case left out fails to compile here. */
export function unreachable(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}
