/**
 * The records the daemon lists: songs (`lista`, `download`) and devices (`lista dispositivos`).
 * One definition of each record's keys, used to write them (daemon) and to read them (clients).
 */
import { boundText, MAX_TAG_CHARS } from '../limits.js';
import { formatPlayback, parsePlayback, type PlaybackRecord } from './playback.js';
import type { Field } from './response.js';

/**
 * The formats the daemon serves. A client is sent songs of the contract's formats only
 * (`CONTRACT_FORMATS`) until it says, with `formats`, which more it plays (docs/protocol.md).
 */
export const SONG_FORMATS = ['mp3', 'wav', 'flac', 'ogg', 'opus', 'm4a'] as const;
export type SongFormat = (typeof SONG_FORMATS)[number];
export const CONTRACT_FORMATS: readonly SongFormat[] = ['mp3', 'wav'];
/** Formats whose blocks need bytes of the file's head first (`header`): FLAC's STREAMINFO, Ogg's header pages, MP4's sample table. */
export const hasDecoderHeader = (format: SongFormat): boolean => format !== 'mp3' && format !== 'wav';
export const isSongFormat = (text: string): text is SongFormat => (SONG_FORMATS as readonly string[]).includes(text);

/**
 * A song as `lista` describes it (docs/protocol.md, Commands).
 *
 * @example
 *   { id: 12, file: 'Artist/Album/01 Song.mp3', title: 'Song', duration: 215.34, format: 'mp3',
 *     sampleRate: 44100, channels: 2, bytes: 3444000, blocks: 8, etag: '9f86d081884c7d65' }
 */
export interface SongInfo {
  id: number;
  file: string;
  title?: string;
  artist?: string;
  album?: string;
  /** Track number on its album (protocol 1.3 extension, when tagged). */
  track?: number;
  /** Release year (protocol 1.3 extension, when tagged). */
  year?: number;
  /** The album's artist, when it is not every song's ("Various Artists"; extension, when tagged). */
  albumArtist?: string;
  /** Disc number of a set of several (extension, when tagged). */
  disc?: number;
  /** Genre, the first when there are several (extension, when tagged). */
  genre?: string;
  /**
   * ReplayGain, from the file's tags (extension, when tagged): the gain in dB that brings the
   * track (or its album) to the reference loudness, and its peak sample (1 = full scale).
   */
  trackGain?: number;
  trackPeak?: number;
  albumGain?: number;
  albumPeak?: number;
  duration: number;
  format: SongFormat;
  sampleRate: number;
  channels: number;
  /** WAV and FLAC: bits per sample. */
  bits?: number;
  bytes: number;
  blocks: number;
  etag: string;
}

/** The record's ReplayGain keys, and the fields they fill. */
const REPLAY_GAIN_KEYS = [
  ['replaygain_track_gain', 'trackGain'],
  ['replaygain_track_peak', 'trackPeak'],
  ['replaygain_album_gain', 'albumGain'],
  ['replaygain_album_peak', 'albumPeak'],
] as const;

/**
 * A ReplayGain value when it is a sane one: a gain within ±60 dB, a peak above 0 and at most 10
 * (a peak over 1 is a lossy file's overshoot). Anything else is as if it were not tagged.
 */
export function replayGainValue(key: string, text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*[-+]?\d+(\.\d+)?/.test(text)) return undefined;
  const value = Number.parseFloat(text);
  const sane = key.endsWith('gain') ? Math.abs(value) <= 60 : value > 0 && value <= 10;
  return sane ? value : undefined;
}

export function songFields(song: SongInfo): Field[] {
  const fields: Field[] = [
    ['song', song.id],
    ['file', song.file],
  ];
  if (song.title) fields.push(['title', boundText(song.title, MAX_TAG_CHARS)]);
  if (song.artist) fields.push(['artist', boundText(song.artist, MAX_TAG_CHARS)]);
  if (song.album) fields.push(['album', boundText(song.album, MAX_TAG_CHARS)]);
  if (song.track !== undefined) fields.push(['track', song.track]);
  if (song.year !== undefined) fields.push(['year', song.year]);
  if (song.albumArtist) fields.push(['albumartist', boundText(song.albumArtist, MAX_TAG_CHARS)]);
  if (song.disc !== undefined) fields.push(['disc', song.disc]);
  if (song.genre) fields.push(['genre', boundText(song.genre, MAX_TAG_CHARS)]);
  fields.push(
    ['duration', song.duration.toFixed(3)],
    ['format', song.format],
    ['sample_rate', song.sampleRate],
    ['channels', song.channels],
  );
  if (song.bits !== undefined) fields.push(['bits', song.bits]);
  for (const [key, value] of REPLAY_GAIN_KEYS) {
    const number = song[value];
    if (number !== undefined) fields.push([key, key.endsWith('gain') ? number.toFixed(2) : number.toFixed(6)]);
  }
  fields.push(['bytes', song.bytes], ['blocks', song.blocks], ['etag', song.etag]);
  return fields;
}

/** Reads one song record back; unknown keys are ignored (the protocol may add more). */
export function parseSongFields(fields: ReadonlyMap<string, string>): SongInfo {
  const need = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined) throw new Error(`song record without '${key}'`);
    return value;
  };
  const format = need('format');
  if (!isSongFormat(format)) throw new Error(`unknown song format '${format}'`);
  const song: SongInfo = {
    id: Number(need('song')),
    file: need('file'),
    duration: Number(need('duration')),
    format,
    sampleRate: Number(need('sample_rate')),
    channels: Number(need('channels')),
    bytes: Number(need('bytes')),
    blocks: Number(need('blocks')),
    etag: need('etag'),
  };
  for (const key of ['title', 'artist', 'album'] as const) {
    const value = fields.get(key);
    if (value !== undefined) song[key] = value;
  }
  const albumArtist = fields.get('albumartist');
  if (albumArtist !== undefined) song.albumArtist = albumArtist;
  const genre = fields.get('genre');
  if (genre !== undefined) song.genre = genre;
  for (const key of ['track', 'year', 'disc'] as const) {
    const value = Number(fields.get(key));
    if (Number.isInteger(value) && value > 0) song[key] = value;
  }
  const bits = fields.get('bits');
  if (bits !== undefined) song.bits = Number(bits);
  for (const [key, value] of REPLAY_GAIN_KEYS) {
    const number = replayGainValue(key, fields.get(key));
    if (number !== undefined) song[value] = number;
  }
  return song;
}

/** A connected device as `lista dispositivos` describes it. */
export interface DeviceInfo {
  name: string;
  address: string;
  status: string;
  connected: string;
  updated: string;
  /** Where it is in its song, placed in time (protocol 1.3 extension, `att playback`). */
  playback?: PlaybackRecord | undefined;
  /** The device it follows (listen along; `att follow`). */
  follows?: string | undefined;
  /** What a player says of itself (`att player`): its volume (0-100), its queue's length, whether it takes remote control. */
  volume?: number | undefined;
  queueLength?: number | undefined;
  control?: boolean | undefined;
  /** Moves each time the queue it says (`att queue`) changes: `queue <device>` has the songs. */
  queueVersion?: number | undefined;
  /** The entry of that queue playing (from 0), when it says one (`att player pos`). */
  queuePos?: number | undefined;
}

export function deviceFields(device: DeviceInfo): Field[] {
  const fields: Field[] = [
    ['device', device.name],
    ['address', device.address],
    ['status', device.status],
    ['connected', device.connected],
    ['updated', device.updated],
  ];
  if (device.playback) fields.push(['playback', formatPlayback(device.playback)]);
  if (device.follows) fields.push(['follows', device.follows]);
  if (device.volume !== undefined) fields.push(['volume', device.volume]);
  if (device.queueLength !== undefined) fields.push(['queue_length', device.queueLength]);
  if (device.control !== undefined) fields.push(['control', device.control ? 'yes' : 'no']);
  if (device.queueVersion !== undefined) fields.push(['queue_version', device.queueVersion]);
  if (device.queuePos !== undefined) fields.push(['queue_pos', device.queuePos]);
  return fields;
}

export function parseDeviceFields(fields: ReadonlyMap<string, string>): DeviceInfo {
  const device: DeviceInfo = {
    name: fields.get('device') ?? '',
    address: fields.get('address') ?? '',
    status: fields.get('status') ?? 'idle',
    connected: fields.get('connected') ?? '',
    updated: fields.get('updated') ?? '',
  };
  const playback = fields.get('playback');
  const parsed = playback === undefined ? undefined : parsePlayback(playback.split(' '));
  if (parsed && typeof parsed !== 'string') device.playback = parsed;
  const follows = fields.get('follows');
  if (follows) device.follows = follows;
  const volume = fields.get('volume');
  if (volume !== undefined && /^\d{1,3}$/.test(volume)) device.volume = Number(volume);
  const queueLength = fields.get('queue_length');
  if (queueLength !== undefined && /^\d{1,7}$/.test(queueLength)) device.queueLength = Number(queueLength);
  const control = fields.get('control');
  if (control === 'yes' || control === 'no') device.control = control === 'yes';
  const queueVersion = fields.get('queue_version');
  if (queueVersion !== undefined && /^\d{1,15}$/.test(queueVersion)) device.queueVersion = Number(queueVersion);
  const queuePos = fields.get('queue_pos');
  if (queuePos !== undefined && /^\d{1,7}$/.test(queuePos)) device.queuePos = Number(queuePos);
  return device;
}

/**
 * Splits a list of `key: value` lines into records, each starting at `firstKey`.
 *
 * @example splitRecords(lines, 'song') // one Map per song
 */
export function splitRecords(lines: ReadonlyArray<readonly [string, string]>, firstKey: string): Map<string, string>[] {
  const records: Map<string, string>[] = [];
  for (const [key, value] of lines) {
    if (key === firstKey || records.length === 0) records.push(new Map());
    (records[records.length - 1] as Map<string, string>).set(key, value);
  }
  return records;
}
