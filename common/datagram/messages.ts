/**
 * Payloads of the datagram types (docs/protocol.md, UDP), built and read. Pure; a payload that
 * cannot be read gives `undefined`, never a throw.
 */
import {
  DatagramType,
  encodeDatagram,
  HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  MIN_SUBSCRIBE_BYTES,
  RejectReason,
  TOKEN_BYTES,
  type Datagram,
} from './codec.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** What a radio listener is told about the programme (ACCEPT) and each new song (INFO). */
export interface StreamInfo {
  format: 'mp3';
  sample_rate: number;
  channels: number;
  /** The song's catalog id, file and tags. */
  song?: number;
  file?: string;
  title?: string;
  artist?: string;
  album?: string;
  duration?: number;
  /** Programme time (ms, as the header's position) at which this song began. */
  started_ms?: number;
  [key: string]: unknown;
}

/** A SUBSCRIBE: the client's name, zero-padded to 1200 bytes in all. */
export function subscribeDatagram(name: string): Buffer {
  const text = Buffer.from(name, 'utf8').subarray(0, MAX_PAYLOAD_BYTES);
  const payload = Buffer.alloc(Math.max(text.length, MIN_SUBSCRIBE_BYTES - HEADER_BYTES));
  text.copy(payload);
  return encodeDatagram({ type: DatagramType.SUBSCRIBE, stream: 0, sequence: 0, position: 0, payload });
}

/** The name in a SUBSCRIBE (padding removed), or undefined when it is not UTF-8 text. */
export function subscriberName(payload: Buffer): string | undefined {
  let end = payload.length;
  while (end > 0 && payload[end - 1] === 0) end--;
  const name = decodeUtf8(payload.subarray(0, end));
  if (name === undefined || /[\u0000-\u001f\u007f]/.test(name) || name.length > 64) return undefined;
  return name;
}

/**
 * An ACCEPT: token then JSON, no larger than `limit` bytes (the SUBSCRIBE's size: no amplification).
 * Long text fields are shortened to fit; undefined if even the bare info does not.
 */
export function acceptDatagram(
  header: Omit<Datagram, 'payload' | 'type'>,
  token: Buffer,
  info: StreamInfo,
  limit: number,
): Buffer | undefined {
  const room = Math.min(limit, HEADER_BYTES + MAX_PAYLOAD_BYTES) - HEADER_BYTES - TOKEN_BYTES;
  const json = fitJson(info, room);
  if (json === undefined) return undefined;
  return encodeDatagram({ ...header, type: DatagramType.ACCEPT, payload: Buffer.concat([token, json]) });
}

/** INFO: the JSON, shortened to fit one datagram. */
export function infoDatagram(header: Omit<Datagram, 'payload' | 'type'>, info: StreamInfo): Buffer {
  return encodeDatagram({
    ...header,
    type: DatagramType.INFO,
    payload: fitJson(info, MAX_PAYLOAD_BYTES) ?? Buffer.from('{}'),
  });
}

/** JSON of `info` in at most `room` bytes: text fields are cut until it fits. */
function fitJson(info: StreamInfo, room: number): Buffer | undefined {
  let json = Buffer.from(JSON.stringify(info));
  for (let keep = 200; json.length > room && keep >= 0; keep = keep > 20 ? keep - 40 : keep - 20) {
    const cut: StreamInfo = { ...info };
    for (const key of ['title', 'artist', 'album', 'file'] as const) {
      const value = cut[key];
      if (typeof value === 'string' && value.length > keep) cut[key] = keep > 0 ? value.slice(0, keep) : undefined;
    }
    json = Buffer.from(JSON.stringify(cut));
  }
  return json.length <= room ? json : undefined;
}

export function parseAccept(payload: Buffer): { token: Buffer; info: StreamInfo } | undefined {
  const info = parseInfo(payload.subarray(TOKEN_BYTES));
  return info && { token: Buffer.from(payload.subarray(0, TOKEN_BYTES)), info };
}

/** The JSON of an INFO or ACCEPT, if it is an object with the fields a player needs. */
export function parseInfo(payload: Buffer): StreamInfo | undefined {
  const text = decodeUtf8(payload);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const info = value as StreamInfo;
    if (typeof info.sample_rate !== 'number' || typeof info.channels !== 'number') return undefined;
    return info;
  } catch {
    return undefined;
  }
}

/** REJECT: reason byte and text, no larger than `limit` bytes. */
export function rejectDatagram(
  header: Omit<Datagram, 'payload' | 'type'>,
  reason: RejectReason,
  text: string,
  limit: number,
): Buffer {
  const room = Math.max(0, Math.min(limit, HEADER_BYTES + MAX_PAYLOAD_BYTES) - HEADER_BYTES - 1);
  let message = Buffer.from(text, 'utf8');
  if (message.length > room) message = Buffer.from(decodeUtf8Prefix(message, room));
  return encodeDatagram({ ...header, type: DatagramType.REJECT, payload: Buffer.concat([Buffer.of(reason), message]) });
}

/** The longest prefix of at most `bytes` bytes that is still whole UTF-8 characters. */
function decodeUtf8Prefix(text: Buffer, bytes: number): string {
  for (let end = bytes; end >= 0; end--) {
    const decoded = decodeUtf8(text.subarray(0, end));
    if (decoded !== undefined) return decoded;
  }
  return '';
}

export function parseReject(payload: Buffer): { reason: RejectReason; text: string } {
  return { reason: payload[0] as RejectReason, text: decodeUtf8Prefix(payload.subarray(1), payload.length - 1) };
}

/** KEEPALIVE and LEAVE carry the token from the ACCEPT. */
export function tokenDatagram(
  type: typeof DatagramType.KEEPALIVE | typeof DatagramType.LEAVE,
  stream: number,
  token: Buffer,
): Buffer {
  return encodeDatagram({ type, stream, sequence: 0, position: 0, payload: token });
}
