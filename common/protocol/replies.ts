/**
 * Typed decoders of the daemon's answers, for clients: `key: value` fields in, a typed value out.
 * One place reads each answer, so no client parses `key: value` lines by hand. Pure.
 *
 * @example parseChanged([['changed', 'devices']]) // ['devices']
 */
import { parseStreamBlockValue } from './response-reader.js';
import type { BlockHeader } from './response.js';
import type { LyricLine } from '../lyrics/lrc.js';
import { parseStickerField } from './stickers.js';
import { isIdleTopic, type IdleTopic } from './topics.js';
import { parseDeviceFields, parseSongFields, splitRecords, type DeviceInfo, type SongInfo } from './records.js';

export type Fields = ReadonlyArray<readonly [string, string]>;

/** An answer that does not read as the command's answer. */
export class ReplyFormatError extends Error {
  override name = 'ReplyFormatError';
}

const first = (fields: Fields, key: string): string | undefined => fields.find(([k]) => k === key)?.[1];

function count(fields: Fields, key: string): number {
  const value = first(fields, key);
  if (value === undefined || !/^\d+$/.test(value)) throw new ReplyFormatError(`answer without a valid ${key}`);
  return Number(value);
}

/** `idle`: the topics that changed (unknown ones, from a newer daemon, are left out). */
export function parseChanged(fields: Fields): IdleTopic[] {
  return fields
    .filter(([key, value]) => key === 'changed' && isIdleTopic(value))
    .map(([, value]) => value as IdleTopic);
}

/** `lista`: the songs, in the daemon's order. @throws ReplyFormatError on a record that does not read. */
export function parseSongList(fields: Fields): SongInfo[] {
  try {
    return splitRecords(fields, 'song').map(parseSongFields);
  } catch (error) {
    throw new ReplyFormatError((error as Error).message);
  }
}

/** `lista dispositivos`. */
export function parseDeviceList(fields: Fields): DeviceInfo[] {
  return fields.length === 0 ? [] : splitRecords(fields, 'device').map(parseDeviceFields);
}

/** What `stats` says of the catalog (the rest is for people: `streamd status` prints it all). */
export interface CatalogStats {
  /** 'loading', 'scanning' or 'ready'. */
  state: string;
  version: string;
  /** While a scan runs: the library's files looked at so far, of all. */
  scan?: ScanProgress;
  /** While the daemon makes its demo library (first start, no music configured): songs written, of all. */
  demo?: ScanProgress;
}

export interface ScanProgress {
  done: number;
  total: number;
}

export function parseCatalogStats(fields: Fields): CatalogStats {
  const stats: CatalogStats = {
    state: first(fields, 'catalog') ?? '',
    version: first(fields, 'catalog_version') ?? '',
  };
  const [done, total] = [first(fields, 'scan_files_done'), first(fields, 'scan_files_total')];
  if (done !== undefined && total !== undefined && /^\d+$/.test(done) && /^\d+$/.test(total))
    stats.scan = { done: Number(done), total: Number(total) };
  const [demoDone, demoTotal] = [first(fields, 'demo_songs_done'), first(fields, 'demo_songs_total')];
  if (demoDone !== undefined && demoTotal !== undefined && /^\d+$/.test(demoDone) && /^\d+$/.test(demoTotal))
    stats.demo = { done: Number(demoDone), total: Number(demoTotal) };
  return stats;
}

/**
 * A scan's progress as both sides show it.
 * @example scanText({ done: 1234, total: 20000 }) // 'scanning 1,234 of 20,000 files'
 */
export function scanText(scan: ScanProgress): string {
  return `scanning ${scan.done.toLocaleString('en-US')} of ${scan.total.toLocaleString('en-US')} files`;
}

/**
 * The demo library's making as both sides show it.
 * @example demoText({ done: 2, total: 5 }) // 'making its demo library: 2 of 5 songs'
 */
export function demoText(demo: ScanProgress): string {
  return `making its demo library: ${demo.done} of ${demo.total} songs`;
}

/** `stats` as a map, for printing every counter. */
export function parseStatsMap(fields: Fields): Map<string, string> {
  return new Map(fields.map(([key, value]) => [key, value]));
}

/** `radio`: the programme as the TCP side tells it. */
export interface RadioReply {
  state: string;
  listeners: number;
  file?: string | undefined;
  position?: number | undefined;
}

export function parseRadioReply(fields: Fields): RadioReply {
  const position = first(fields, 'position');
  return {
    state: first(fields, 'radio') ?? '',
    listeners: count(fields, 'listeners'),
    file: first(fields, 'file'),
    position: position === undefined ? undefined : Number(position),
  };
}

/** The `stream` answer (docs/protocol.md, UDP): what the datagrams will carry. */
export interface StreamPlan {
  stream: number;
  packets: number;
  packetBytes: number;
  /** The blocks in the stream, in order, as `stream_block:` fields give them. */
  blocks: BlockHeader[];
  /** 16 hex digits (protocol 1.2), to prove the UDP port wants the stream; absent from older daemons. */
  token?: string | undefined;
}

/** @throws ReplyFormatError when a field is missing or the sizes do not add up. */
export function parseStreamPlan(fields: Fields): StreamPlan {
  const blocks = fields
    .filter(([key]) => key === 'stream_block')
    .map(([, value]) => {
      const block = parseStreamBlockValue(value);
      if (!block) throw new ReplyFormatError(`bad stream_block field '${value.slice(0, 80)}'`);
      return block;
    });
  const plan: StreamPlan = {
    stream: count(fields, 'stream'),
    packets: count(fields, 'packets'),
    packetBytes: count(fields, 'packet_bytes'),
    blocks,
  };
  const token = first(fields, 'token');
  if (token !== undefined) {
    if (!/^[0-9a-f]{16}$/.test(token)) throw new ReplyFormatError(`bad token field '${token.slice(0, 40)}'`);
    plan.token = token;
  }
  const total = blocks.reduce((sum, block) => sum + block.bytes, 0);
  if (plan.packetBytes === 0 || Math.max(1, Math.ceil(total / plan.packetBytes)) !== plan.packets) {
    throw new ReplyFormatError(
      `stream answer does not add up: ${plan.packets} packets of ${plan.packetBytes} bytes for ${total} bytes`,
    );
  }
  return plan;
}

/** A call as `calls` gives it to one party (docs/protocol.md, Calls). */
export interface CallRecord {
  id: number;
  from: string;
  to: string;
  state: 'ringing' | 'active' | 'ended';
  started: string;
  /** This party's media token: 16 hex digits. */
  token: string;
  /** Why it ended; a reason this client does not know reads as 'other' (a newer daemon may add some). */
  reason?: 'rejected' | 'hangup' | 'timeout' | 'gone' | 'silent' | 'other' | undefined;
  ended?: string | undefined;
}

const CALL_STATES = new Set(['ringing', 'active', 'ended']);
const END_REASONS = new Set(['rejected', 'hangup', 'timeout', 'gone', 'silent']);

/** `calls`. @throws ReplyFormatError on a record that does not read. */
export function parseCallList(fields: Fields): CallRecord[] {
  if (fields.length === 0) return [];
  return splitRecords(fields, 'call').map((record) => {
    const get = (key: string): string => {
      const value = record.get(key);
      if (value === undefined) throw new ReplyFormatError(`call record without ${key}`);
      return value;
    };
    const id = get('call');
    const state = get('state');
    const token = get('token');
    const reason = record.get('reason');
    if (!/^\d{1,10}$/.test(id)) throw new ReplyFormatError(`bad call id '${id.slice(0, 20)}'`);
    if (!CALL_STATES.has(state)) throw new ReplyFormatError(`bad call state '${state.slice(0, 20)}'`);
    if (!/^[0-9a-f]{16}$/.test(token)) throw new ReplyFormatError(`bad token '${token.slice(0, 40)}'`);
    return {
      id: Number(id),
      from: get('from'),
      to: get('to'),
      state: state as CallRecord['state'],
      started: get('started'),
      token,
      reason: reason === undefined ? undefined : END_REASONS.has(reason) ? (reason as CallRecord['reason']) : 'other',
      ended: record.get('ended'),
    };
  });
}

/**
 * The largest decoder header a client takes: FLAC's is 42 bytes; Ogg's setup headers are
 * kilobytes; an MP4's sample table is 4 bytes a sample (about 7 hours of AAC in 4 MiB).
 */
export const MAX_DECODER_HEADER_BYTES = 4 * 1024 * 1024;

/**
 * `header`: the bytes (base64 over one or more `header:` lines), their length and SHA-256, which
 * the caller checks (hashing is not this module's).
 * @throws ReplyFormatError when the answer does not read as one
 */
export function parseDecoderHeader(fields: Fields): { bytes: Buffer; sha256: string } {
  const length = Number(first(fields, 'header_bytes'));
  const sha256 = first(fields, 'header_sha256') ?? '';
  if (!Number.isInteger(length) || length < 0 || length > MAX_DECODER_HEADER_BYTES || !/^[0-9a-f]{64}$/.test(sha256))
    throw new ReplyFormatError('a header answer without its length or SHA-256');
  const text = fields
    .filter(([key]) => key === 'header')
    .map(([, value]) => value)
    .join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ReplyFormatError('a header that is not base64');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== length) throw new ReplyFormatError(`a header of ${bytes.length} bytes announced as ${length}`);
  return { bytes, sha256 };
}

/** `stickers`: each song's id, then its `sticker: name=value` lines. */
export function parseStickerList(fields: Fields): Map<number, Record<string, string>> {
  const songs = new Map<number, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const [key, value] of fields) {
    if (key === 'song') {
      if (!/^\d{1,15}$/.test(value)) throw new ReplyFormatError(`a song id '${value.slice(0, 20)}'`);
      songs.set(Number(value), (current = {}));
    } else if (key === 'sticker' && current) {
      const pair = parseStickerField(value);
      if (pair) current[pair[0]] = pair[1];
    }
  }
  return songs;
}

export interface LyricsReply {
  synced: boolean;
  source: string;
  lines: LyricLine[];
}

/** `lyrics`: `synced:`, `source:`, then a `line:` each (`<ms> <text>` when synced). */
export function parseLyricsReply(fields: Fields): LyricsReply {
  let synced = false;
  let source = '';
  const lines: LyricLine[] = [];
  for (const [key, value] of fields) {
    if (key === 'synced') synced = value === 'yes';
    else if (key === 'source') source = value;
    else if (key === 'line') {
      if (!synced) {
        lines.push({ text: value });
        continue;
      }
      const match = /^(\d{1,9}) ?(.*)$/.exec(value);
      if (!match) throw new ReplyFormatError(`a synced lyric line '${value.slice(0, 20)}'`);
      lines.push({ ms: Number(match[1]), text: match[2] as string });
    }
  }
  return { synced, source, lines };
}

/** `listplaylists`: a `playlist:` and its `last_modified:` each. */
export function parsePlaylistList(fields: Fields): Array<{ name: string; modified: string }> {
  const playlists: Array<{ name: string; modified: string }> = [];
  for (const [key, value] of fields) {
    if (key === 'playlist') playlists.push({ name: value, modified: '' });
    else if (key === 'last_modified' && playlists.length > 0)
      (playlists[playlists.length - 1] as { modified: string }).modified = value;
  }
  return playlists;
}
