/**
 * The UDP datagram codec of docs/protocol.md, UDP: a 16-byte big-endian header, then a payload;
 * 1400 bytes at most. Pure: Buffers in, Buffers or classified results out, nothing thrown for any
 * input (a malformed datagram is a value, counted and ignored by the socket owner).
 */

export const MAGIC = 0x5344; // 'SD'
export const DATAGRAM_VERSION = 1;
export const HEADER_BYTES = 16;
export const MAX_DATAGRAM_BYTES = 1400;
export const MAX_PAYLOAD_BYTES = MAX_DATAGRAM_BYTES - HEADER_BYTES;
/** A SUBSCRIBE smaller than this is ignored: the answer may never be larger than the request. */
export const MIN_SUBSCRIBE_BYTES = 1200;
export const TOKEN_BYTES = 8;

export const DatagramType = {
  SUBSCRIBE: 1,
  ACCEPT: 2,
  REJECT: 3,
  AUDIO: 4,
  END: 5,
  KEEPALIVE: 6,
  LEAVE: 7,
  INFO: 8,
  /** A call's voice (docs/protocol.md, Calls): to the daemon, the party's token then one Opus packet; from it, the packet alone. */
  VOICE: 9,
  /** What a party receives of the other's voice, and the echo that measures the round trip (voice-report.ts): relayed as VOICE. */
  VOICE_REPORT: 10,
} as const;
export type DatagramType = (typeof DatagramType)[keyof typeof DatagramType];

export const RejectReason = { FULL: 1, DUPLICATE: 2, BAD_REQUEST: 3, UNAUTHORIZED: 4 } as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

/**
 * A header and its payload, as sent or received.
 *
 * @example { type: DatagramType.AUDIO, stream: 7, sequence: 0, position: 0, payload: frames }
 */
export interface Datagram {
  type: DatagramType;
  stream: number;
  sequence: number;
  position: number;
  payload: Buffer;
}

/** Why a datagram was not taken: every malformed input gets exactly one of these. */
export type Malformed =
  | 'empty'
  | 'truncated_header'
  | 'too_large'
  | 'bad_magic'
  | 'bad_version'
  | 'unknown_type'
  | 'short_subscribe'
  | 'bad_payload';

export type DecodeResult = { ok: true; datagram: Datagram } | { ok: false; reason: Malformed };

const TYPES = new Set<number>(Object.values(DatagramType));

/** The payload sizes each type may have: [min, max]. */
const PAYLOAD_SIZES: Record<DatagramType, [number, number]> = {
  [DatagramType.SUBSCRIBE]: [MIN_SUBSCRIBE_BYTES - HEADER_BYTES, MAX_PAYLOAD_BYTES],
  [DatagramType.ACCEPT]: [TOKEN_BYTES, MAX_PAYLOAD_BYTES],
  [DatagramType.REJECT]: [1, MAX_PAYLOAD_BYTES],
  [DatagramType.AUDIO]: [1, MAX_PAYLOAD_BYTES],
  [DatagramType.END]: [0, 0],
  [DatagramType.KEEPALIVE]: [TOKEN_BYTES, TOKEN_BYTES],
  [DatagramType.LEAVE]: [TOKEN_BYTES, TOKEN_BYTES],
  [DatagramType.INFO]: [2, MAX_PAYLOAD_BYTES],
  [DatagramType.VOICE]: [1, MAX_PAYLOAD_BYTES],
  [DatagramType.VOICE_REPORT]: [1, MAX_PAYLOAD_BYTES],
};

const u32 = (value: number): number => value >>> 0;

/** Header and payload in one Buffer. @throws RangeError when the result would exceed 1400 bytes (a bug in the sender). */
export function encodeDatagram(datagram: Omit<Datagram, 'payload'> & { payload?: Uint8Array }): Buffer {
  const payload = datagram.payload ?? Buffer.alloc(0);
  if (HEADER_BYTES + payload.length > MAX_DATAGRAM_BYTES) {
    throw new RangeError(`datagram of ${HEADER_BYTES + payload.length} bytes: the limit is ${MAX_DATAGRAM_BYTES}`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  writeHeader(out, datagram.type, datagram.stream, datagram.sequence, datagram.position);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Writes a header into the first 16 bytes of `out` (the radio reuses one buffer for every listener). */
export function writeHeader(out: Buffer, type: DatagramType, stream: number, sequence: number, position: number): void {
  out.writeUInt16BE(MAGIC, 0);
  out[2] = DATAGRAM_VERSION;
  out[3] = type;
  out.writeUInt32BE(u32(stream), 4);
  out.writeUInt32BE(u32(sequence), 8);
  out.writeUInt32BE(u32(position), 12);
}

/**
 * Classifies any bytes: a datagram, or why not. The payload is a view into `bytes`.
 *
 * @example decodeDatagram(Buffer.alloc(0)) // { ok: false, reason: 'empty' }
 */
export function decodeDatagram(bytes: Buffer): DecodeResult {
  if (bytes.length === 0) return { ok: false, reason: 'empty' };
  if (bytes.length > MAX_DATAGRAM_BYTES) return { ok: false, reason: 'too_large' };
  if (bytes.length < HEADER_BYTES) return { ok: false, reason: 'truncated_header' };
  if (bytes.readUInt16BE(0) !== MAGIC) return { ok: false, reason: 'bad_magic' };
  if (bytes[2] !== DATAGRAM_VERSION) return { ok: false, reason: 'bad_version' };
  const type = bytes[3] as number;
  if (!TYPES.has(type)) return { ok: false, reason: 'unknown_type' };
  const payload = bytes.subarray(HEADER_BYTES);
  const [min, max] = PAYLOAD_SIZES[type as DatagramType];
  if (payload.length < min || payload.length > max) {
    return {
      ok: false,
      reason: type === DatagramType.SUBSCRIBE && payload.length < min ? 'short_subscribe' : 'bad_payload',
    };
  }
  if (type === DatagramType.REJECT && !Object.values(RejectReason).includes(payload[0] as RejectReason)) {
    return { ok: false, reason: 'bad_payload' };
  }
  return {
    ok: true,
    datagram: {
      type: type as DatagramType,
      stream: bytes.readUInt32BE(4),
      sequence: bytes.readUInt32BE(8),
      position: bytes.readUInt32BE(12),
      payload,
    },
  };
}
