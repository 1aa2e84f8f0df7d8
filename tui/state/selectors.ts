/**
 * What is read off the player's model: the library panel's rows, the row and the song under the
 * cursor, this device's status as other devices see it. Pure.
 */
import { clock, formatStatus, type DeviceActivity } from '../../common/protocol/device-status.js';
import type { SongInfo } from '../../common/protocol/records.js';
import {
  albumKey,
  artistKey,
  orderedLibrary,
  searchRows,
  songName,
  treeRows,
  type LibraryRow,
} from './library-tree.js';
import type { DrivenQueue, LibraryOrder, PlayerState } from './model.js';
import { entryIndex } from './queue.js';

const listRows = new WeakMap<readonly SongInfo[], LibraryRow[]>();

/** The rows the library panel shows: the songs the search matches (best first), the tree, or the list. */
export function libraryRows(state: PlayerState): LibraryRow[] {
  if (state.search.query.trim()) return searchRows(state.library, state.search.query);
  if (state.libraryView === 'tree') return treeRows(state.library, state.expanded);
  if (state.libraryOrder !== 'path') return orderedRows(state.library, state.marks, state.libraryOrder);
  let rows = listRows.get(state.library);
  if (!rows)
    listRows.set(state.library, (rows = state.library.map((song): LibraryRow => ({ kind: 'song', song, depth: 0 }))));
  return rows;
}

/** The list in an order of the marks, made once per library, marks and order (the cursor moves often). */
let ordered: { key: readonly unknown[]; rows: LibraryRow[] } | undefined;

function orderedRows(library: readonly SongInfo[], marks: PlayerState['marks'], order: LibraryOrder): LibraryRow[] {
  const key = [library, marks, order];
  if (ordered?.key.every((part, k) => part === key[k])) return ordered.rows;
  const rows = orderedLibrary(library, marks, order).map((song): LibraryRow => ({ kind: 'song', song, depth: 0 }));
  ordered = { key, rows };
  return rows;
}

/** The queue of the device driven, while the keys drive one that said its queue. */
export function drivenQueueShown(state: PlayerState): DrivenQueue | undefined {
  return state.control !== undefined && state.drivenQueue?.device === state.control ? state.drivenQueue : undefined;
}

/** The queue entry playing (from 0), or null: stopped, or a song from outside the queue (what `att player pos` says). */
export function playingQueuePos(state: PlayerState): number | null {
  const at = entryIndex(state.queue, state.playState === 'Stopped' ? undefined : state.now?.entry);
  return at < 0 ? null : at;
}

/** Entries the queue panel shows: the driven device's queue, or this one's. */
export function queuePanelLength(state: PlayerState): number {
  return drivenQueueShown(state)?.entries.length ?? state.queue.entries.length;
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

/**
 * The row index of `song` in the library panel as it is; in the tree, when its album is closed,
 * the album's row, else its artist's.
 */
export function cursorOn(state: PlayerState, song: SongInfo): number {
  const rows = libraryRows(state);
  const at = rows.findIndex((row) => row.kind === 'song' && row.song.etag === song.etag);
  if (at >= 0) return at;
  const album = rows.findIndex((row) => row.kind === 'album' && row.key === albumKey(song));
  if (album >= 0) return album;
  return Math.max(
    0,
    rows.findIndex((row) => row.kind === 'artist' && row.key === artistKey(song)),
  );
}

/** What this device is doing, as its status says: a call first, then the radio, then the song. */
export function activityOf(state: PlayerState): DeviceActivity {
  if (state.call?.state === 'active') return { kind: 'call', peer: state.call.peer };
  if (state.radio.on) return { kind: 'radio', file: state.radio.info?.file };
  if (!state.now || state.playState === 'Stopped') return { kind: 'idle' };
  const { song, position } = state.now;
  return { kind: 'song', playing: state.playState === 'Playing', file: song.file, position, duration: song.duration };
}

/**
 * This device's status as `att status` sends it.
 *
 * @example statusText(state) // 'playing Artist/Album/01 Song.mp3 1:23/3:35', 'radio Artist/Song.mp3', 'in call with bob'
 */
export const statusText = (state: PlayerState): string => formatStatus(activityOf(state));

/**
 * Whether the status moved for another reason than the clock (the song, play or pause, the radio's
 * song, the call): other devices are told at once then; the clock alone they see every few seconds.
 */
export const statusMoved = (before: PlayerState, after: PlayerState): boolean =>
  before.playState !== after.playState ||
  before.now?.song !== after.now?.song ||
  before.radio.info !== after.radio.info ||
  before.call?.state !== after.call?.state;

const songsByFile = new WeakMap<readonly SongInfo[], Map<string, SongInfo>>();

/**
 * What another device is doing, for its row: the song it plays named as the library names it
 * (artist - title), with its clock, rather than the file path its status carries.
 *
 * @example deviceActivityText(state, 'playing A/B/01 Song.mp3 1:23/3:35') // '▶ Artist - Song 1:23/3:35'
 */
export function deviceActivityText(state: PlayerState, status: string): string {
  const m = /^(playing|paused) (.+) (\d+(?::\d\d){1,2}\/\d+(?::\d\d){1,2})$/.exec(status);
  const radio = /^radio (.+)$/.exec(status);
  if (!m && !radio) return status;
  let byFile = songsByFile.get(state.library);
  if (!byFile) songsByFile.set(state.library, (byFile = new Map(state.library.map((song) => [song.file, song]))));
  const named = (file: string): string => {
    const song = byFile.get(file);
    return song ? songName(song) : (file.split('/').pop() ?? file);
  };
  if (radio) return `radio ${named(radio[1] as string)}`;
  return `${m?.[1] === 'playing' ? '▶' : '‖'} ${named(m?.[2] as string)} ${m?.[3] as string}`;
}

/** The song's ReplayGain tags in a line (`track -6.20 dB (peak 0.988), album -3.10 dB`), if it has any. */
function replayGainText(song: SongInfo): string | undefined {
  const part = (name: string, gain: number | undefined, peak: number | undefined): string | undefined =>
    gain === undefined
      ? undefined
      : `${name} ${gain.toFixed(2)} dB${peak === undefined ? '' : ` (peak ${peak.toFixed(3)})`}`;
  const parts = [part('track', song.trackGain, song.trackPeak), part('album', song.albumGain, song.albumPeak)];
  return parts.filter(Boolean).join(', ') || undefined;
}

/**
 * What the song-info view (`i`) shows of `song`: every tag it has, then the file and its format,
 * the bitrate it averages, and how much of it is on disk.
 *
 * @example songInfoLines(state, song)[0] // ['title', 'Song']
 */
export function songInfoLines(state: PlayerState, song: SongInfo): Array<[string, string]> {
  const lines: Array<[string, string | number | undefined]> = [
    ['title', song.title],
    ['artist', song.artist],
    ['album artist', song.albumArtist],
    ['album', song.album],
    ['disc', song.disc],
    ['track', song.track],
    ['year', song.year],
    ['genre', song.genre],
    ['file', song.file],
    [
      'format',
      `${song.format.toUpperCase()}, ${song.sampleRate.toLocaleString('en-US')} Hz, ${song.channels === 1 ? 'mono' : song.channels === 2 ? 'stereo' : `${song.channels} channels`}${song.bits ? `, ${song.bits}-bit` : ''}`,
    ],
    [
      'bitrate',
      song.duration > 0 ? `${Math.round((song.bytes * 8) / song.duration / 1000)} kbit/s (average)` : undefined,
    ],
    ['length', `${clock(song.duration)} (${song.bytes.toLocaleString('en-US')} bytes)`],
    ['replaygain', replayGainText(song)],
    ['plays', state.unplayable.has(song.format) ? `no: ${state.unplayable.get(song.format)}` : undefined],
    ['cached', `${state.cached.get(song.etag)?.size ?? 0} of ${song.blocks} blocks of 30 s`],
  ];
  return lines
    .filter((line): line is [string, string | number] => line[1] !== undefined && line[1] !== '')
    .map(([label, value]) => [label, String(value)]);
}
