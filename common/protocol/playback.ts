/**
 * Where a device is in its song, in a form that can be placed in time (protocol 1.3, listen
 * along): the song, the position in ms, playing or paused, and the daemon-clock instant (ms,
 * `time`) the position was true at. A playing device is at `position + (now - at)` at any later
 * daemon time `now`. Pure.
 *
 * @example formatPlayback({ song: 12, positionMs: 61234, playing: true, atMs: 5012345.5 }) // '12 61234 playing 5012345.500'
 */

export interface PlaybackRecord {
  song: number;
  positionMs: number;
  playing: boolean;
  /** The daemon's clock (`time`), ms, when the position was true. */
  atMs: number;
}

export function formatPlayback(record: PlaybackRecord): string {
  return `${record.song} ${Math.round(record.positionMs)} ${record.playing ? 'playing' : 'paused'} ${record.atMs.toFixed(3)}`;
}

/** The record's words back (as `att playback` gets them, or a device record's `playback:`), or why not. */
export function parsePlayback(words: readonly string[]): PlaybackRecord | string {
  if (words.length !== 4) return 'att playback <song> <position_ms> playing|paused <at_ms>, or att playback stopped';
  const [song, position, state, at] = words as [string, string, string, string];
  if (!/^[1-9]\d{0,9}$/.test(song)) return 'the song is a song id';
  if (!/^\d{1,10}$/.test(position)) return 'the position is whole milliseconds, 0 or more';
  if (state !== 'playing' && state !== 'paused') return "the state is 'playing' or 'paused'";
  if (!/^\d{1,13}(\.\d{1,6})?$/.test(at)) return "the instant is the daemon's clock in ms (time)";
  return { song: Number(song), positionMs: Number(position), playing: state === 'playing', atMs: Number(at) };
}

/** Where a device that published `record` is at daemon time `nowMs`, in ms. */
export function positionAt(record: PlaybackRecord, nowMs: number): number {
  return record.playing ? record.positionMs + Math.max(0, nowMs - record.atMs) : record.positionMs;
}
