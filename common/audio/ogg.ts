/**
 * Ogg (RFC 3533) with Vorbis (https://xiph.org/vorbis/doc/Vorbis_I_spec.html) or Opus (RFC 7845)
 * in it: pages, the packets they carry, the codec's identification header, how many samples a
 * packet gives, and the header pages a decoder needs before a block from the middle. Pure.
 *
 * A page says, in its granule position, the sample at which its last completed packet ends. So a
 * block cut where a page begins a fresh packet starts at the granule of the page before, and a
 * decoder fed the song's header pages and then that block knows where it is.
 */
import { BLOCK_SECONDS } from '../limits.js';
import type { BlockSpan } from './blocks.js';

export type OggCodec = 'vorbis' | 'opus';

export interface OggPage {
  offset: number;
  /** Header and body. */
  bytes: number;
  /** Its first packet began on the page before. */
  continued: boolean;
  /** Beginning (BOS) and end (EOS) of its logical stream. */
  first: boolean;
  last: boolean;
  /** Where its last completed packet ends, in samples; undefined when no packet ends on it (-1). */
  granule: number | undefined;
  serial: number;
  sequence: number;
  /** Its packets (pieces of them at either end), as lengths in its body, each whether it ends here. */
  packets: Array<{ length: number; ends: boolean }>;
  /** Where the body starts, from the page's offset. */
  bodyStart: number;
}

const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"
const HEADER_BYTES = 27;
/** The largest page: 27 + 255 lacing values + 255 x 255 bytes. */
export const MAX_PAGE_BYTES = HEADER_BYTES + 255 + 255 * 255;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32 (polynomial 0x04c11db7, not reflected, no final inversion) of `bytes`, the CRC field read as zeros. */
function pageCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : (bytes[i] as number);
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] as number)) >>> 0;
  }
  return crc;
}

/**
 * The page at `at` of `buf` (`base` is the file offset of `buf[0]`): undefined when none is there
 * (no capture pattern, version not 0, a CRC that fails), `short` when `buf` ends inside it.
 */
export function parseOggPage(buf: Uint8Array, at: number, base = 0): OggPage | 'short' | undefined {
  if (at + HEADER_BYTES > buf.length) return 'short';
  for (let k = 0; k < 4; k++) if (buf[at + k] !== CAPTURE[k]) return undefined;
  if (buf[at + 4] !== 0) return undefined;
  const flags = buf[at + 5] as number;
  const segments = buf[at + 26] as number;
  if (at + HEADER_BYTES + segments > buf.length) return 'short';
  const packets: OggPage['packets'] = [];
  let body = 0;
  let length = 0;
  for (let k = 0; k < segments; k++) {
    const lacing = buf[at + HEADER_BYTES + k] as number;
    length += lacing;
    if (lacing < 255) {
      packets.push({ length, ends: true });
      length = 0;
    }
    body += lacing;
  }
  if (length > 0 || (segments > 0 && buf[at + HEADER_BYTES + segments - 1] === 255))
    packets.push({ length, ends: false });
  const bytes = HEADER_BYTES + segments + body;
  if (at + bytes > buf.length) return 'short';
  const view = Buffer.from(buf.buffer, buf.byteOffset + at, bytes);
  if (view.readUInt32LE(22) !== pageCrc(view)) return undefined;
  const low = view.readUInt32LE(6);
  const high = view.readInt32LE(10);
  return {
    offset: base + at,
    bytes,
    continued: (flags & 1) !== 0,
    first: (flags & 2) !== 0,
    last: (flags & 4) !== 0,
    granule: high === -1 && low === 0xffffffff ? undefined : high * 2 ** 32 + low,
    serial: view.readUInt32LE(14),
    sequence: view.readUInt32LE(18),
    packets,
    bodyStart: HEADER_BYTES + segments,
  };
}

/** A page of whole packets (the last may go on to the next page: `ends: false`), with its CRC. */
export function writeOggPage(
  packets: Array<{ data: Uint8Array; ends: boolean }>,
  page: {
    serial: number;
    sequence: number;
    /** undefined: no packet ends on the page (written as -1). */
    granule: number | undefined;
    first?: boolean;
    last?: boolean;
    continued?: boolean;
  },
): Buffer {
  const lacing: number[] = [];
  for (const { data, ends } of packets) {
    // 255 for each whole 255 bytes; a packet that ends here ends with a value below 255 (0 if need be).
    if (!ends && data.length % 255 !== 0) throw new Error('a packet that goes on must fill its last lacing value');
    for (let k = 0; k < Math.floor(data.length / 255); k++) lacing.push(255);
    if (ends) lacing.push(data.length % 255);
  }
  if (lacing.length > 255) throw new Error('more than 255 lacing values in one page');
  const body = Buffer.concat(packets.map((p) => p.data));
  const out = Buffer.alloc(HEADER_BYTES + lacing.length + body.length);
  out.set(CAPTURE, 0);
  out[5] = (page.continued ? 1 : 0) | (page.first ? 2 : 0) | (page.last ? 4 : 0);
  if (page.granule === undefined) out.fill(0xff, 6, 14);
  else {
    out.writeUInt32LE(page.granule % 2 ** 32, 6);
    out.writeUInt32LE(Math.floor(page.granule / 2 ** 32), 10);
  }
  out.writeUInt32LE(page.serial, 14);
  out.writeUInt32LE(page.sequence, 18);
  out[26] = lacing.length;
  out.set(lacing, HEADER_BYTES);
  out.set(body, HEADER_BYTES + lacing.length);
  out.writeUInt32LE(pageCrc(out), 22);
  return out;
}

/** What a stream's identification header (its first packet) says. */
export interface OggIdentification {
  codec: OggCodec;
  channels: number;
  /** The rate it plays at: Opus always decodes to 48 kHz. */
  sampleRate: number;
  /** Opus: samples (at 48 kHz) the decoder drops at the start. */
  preSkip: number;
  /** Opus: the gain the header asks for, in dB. */
  outputGain: number;
  /** Vorbis: its short and long block sizes. */
  blockSizes: [number, number];
  /** The header packets before the audio: Vorbis has 3 (identification, comments, setup), Opus 2. */
  headerPackets: number;
}

const ascii = (bytes: Uint8Array, from: number, to: number): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', from, to);

/** The codec and its parameters, from the first packet of a stream; undefined for another codec. */
export function parseIdentification(packet: Uint8Array): OggIdentification | undefined {
  const view = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  if (view.length >= 19 && ascii(packet, 0, 8) === 'OpusHead') {
    const channels = view[9] as number;
    if ((view[8] as number) >> 4 !== 0 || channels === 0) return undefined; // a major version this does not know
    return {
      codec: 'opus',
      channels,
      sampleRate: 48000,
      preSkip: view.readUInt16LE(10),
      outputGain: view.readInt16LE(16) / 256,
      blockSizes: [0, 0],
      headerPackets: 2,
    };
  }
  if (view.length >= 30 && view[0] === 1 && ascii(packet, 1, 7) === 'vorbis') {
    const channels = view[11] as number;
    const sampleRate = view.readUInt32LE(12);
    const sizes = view[28] as number;
    const blockSizes: [number, number] = [1 << (sizes & 0x0f), 1 << (sizes >> 4)];
    if (view.readUInt32LE(7) !== 0 || channels === 0 || sampleRate === 0) return undefined;
    if (blockSizes[0] < 64 || blockSizes[0] > blockSizes[1] || blockSizes[1] > 8192) return undefined;
    return { codec: 'vorbis', channels, sampleRate, preSkip: 0, outputGain: 0, blockSizes, headerPackets: 3 };
  }
  return undefined;
}

/** The comment header's Vorbis comments (after its signature), for the tag reader. */
export function commentBody(codec: OggCodec, packet: Uint8Array): Uint8Array | undefined {
  const signature = codec === 'opus' ? 'OpusTags' : '\x03vorbis';
  return ascii(packet, 0, 8).startsWith(signature) ? packet.subarray(signature.length) : undefined;
}

/** A comment header with the vendor string alone: a decoder needs one, not its tags or pictures. */
export function emptyCommentPacket(codec: OggCodec): Buffer {
  const vendor = Buffer.from('streamd');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(vendor.length);
  return codec === 'opus'
    ? Buffer.concat([Buffer.from('OpusTags'), length, vendor, Buffer.alloc(4)])
    : Buffer.concat([Buffer.from('\x03vorbis', 'latin1'), length, vendor, Buffer.alloc(4), Buffer.from([1])]);
}

/**
 * Samples (at 48 kHz) of one Opus packet, from its TOC byte and frame count (RFC 6716, 3.1):
 * 0 for a packet too short to say.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0] as number;
  const config = toc >> 3;
  const frame =
    config < 12
      ? [480, 960, 1920, 2880][config & 3]
      : config < 16
        ? [480, 960][config & 1]
        : [120, 240, 480, 960][config & 3];
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : packet.length > 1 ? (packet[1] as number) & 0x3f : 0;
  return (frame as number) * frames;
}

/**
 * The block flag (short 0, long 1) of each mode of a Vorbis setup header. The modes are its last
 * field, after the codebooks and floors whose lengths are known only by decoding them, so they
 * are read from the end backwards: a framing bit, then modes of 41 bits (block flag, window type
 * 0, transform type 0, mapping), then their count less one in 6 bits. The count is the one that
 * agrees with the 6 bits before that many modes.
 */
export function vorbisModeFlags(setup: Uint8Array): number[] | undefined {
  const totalBits = setup.length * 8;
  // Bits are packed from each byte's least significant bit: bit i is byte i>>3's bit i&7.
  const bit = (i: number): number => ((setup[i >> 3] as number) >> (i & 7)) & 1;
  const bits = (from: number, count: number): number => {
    let value = 0;
    for (let k = count - 1; k >= 0; k--) value = value * 2 + bit(from + k);
    return value;
  };
  let end = totalBits - 1;
  while (end >= 0 && bit(end) === 0) end--; // padding after the framing bit
  if (end < 0) return undefined;
  // `end` is the framing bit; modes end just before it.
  const flags: number[] = [];
  let candidate: number[] | undefined;
  for (let at = end - 41; at >= 6 && flags.length < 64; at -= 41) {
    if (bits(at + 1, 16) !== 0 || bits(at + 17, 16) !== 0) break; // window and transform types are 0
    flags.unshift(bit(at));
    if (bits(at - 6, 6) + 1 === flags.length) candidate = [...flags];
  }
  return candidate;
}

/** Samples a Vorbis audio packet's window spans: its block size, from its mode (0 when not audio). */
export function vorbisPacketBlockSize(
  packet: Uint8Array,
  modeFlags: readonly number[],
  sizes: [number, number],
): number {
  if (packet.length === 0 || ((packet[0] as number) & 1) !== 0) return 0;
  const modeBits = modeFlags.length > 1 ? 32 - Math.clz32(modeFlags.length - 1) : 0;
  const mode = ((packet[0] as number) >> 1) & ((1 << modeBits) - 1);
  return sizes[modeFlags[mode] ?? 0] ?? 0;
}

/**
 * The decoder's view of a song: its header pages, rebuilt from the stream's header packets (an
 * empty comment header in place of the tags and pictures), and what they say.
 */
export interface OggDecoderHeader {
  identification: OggIdentification;
  /** Vorbis: each mode's block flag. */
  modeFlags: number[];
}

/** The header pages a decoder needs, from the stream's header packets (identification, comments, setup). */
export function oggHeaderPages(packets: Uint8Array[], serial: number): Buffer {
  const ident = parseIdentification(packets[0] as Uint8Array);
  if (!ident) throw new Error('not a Vorbis or Opus identification header');
  const pages = [
    writeOggPage([{ data: packets[0] as Uint8Array, ends: true }], { serial, sequence: 0, granule: 0, first: true }),
  ];
  // The rest on as many pages as they take (a Vorbis setup header is often more than a page).
  const rest = [emptyCommentPacket(ident.codec), ...packets.slice(2)];
  let pending: Array<{ data: Uint8Array; ends: boolean }> = [];
  let lacing = 0;
  let continued = false;
  const flush = (): void => {
    pages.push(writeOggPage(pending, { serial, sequence: pages.length, granule: 0, continued }));
    continued = pending.length > 0 && !(pending[pending.length - 1] as { ends: boolean }).ends;
    pending = [];
    lacing = 0;
  };
  for (const packet of rest) {
    let data = packet;
    for (;;) {
      const room = 255 - lacing;
      const needs = Math.floor(data.length / 255) + 1;
      if (needs <= room) {
        pending.push({ data, ends: true });
        lacing += needs;
        break;
      }
      const take = room * 255;
      pending.push({ data: data.subarray(0, take), ends: false });
      data = data.subarray(take);
      flush();
    }
  }
  if (pending.length) flush();
  return Buffer.concat(pages);
}

/** What the header pages say: the codec and (Vorbis) the mode flags, read back from `oggHeaderPages`. */
export function readOggDecoderHeader(header: Uint8Array): OggDecoderHeader | undefined {
  const packets = packetsOf(header, 3);
  const identification = packets[0] && parseIdentification(packets[0]);
  if (!identification) return undefined;
  if (identification.codec === 'opus') return { identification, modeFlags: [] };
  const modeFlags = packets[2] && vorbisModeFlags(packets[2]);
  return modeFlags ? { identification, modeFlags } : undefined;
}

/** The first `count` whole packets of the pages in `bytes`. */
function packetsOf(bytes: Uint8Array, count: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length && packets.length < count;) {
    const page = parseOggPage(bytes, at);
    if (!page || page === 'short') break;
    let from = at + page.bodyStart;
    for (const packet of page.packets) {
      pieces.push(bytes.subarray(from, from + packet.length));
      from += packet.length;
      if (packet.ends) {
        packets.push(Buffer.concat(pieces));
        pieces = [];
      }
    }
    at += page.bytes;
  }
  return packets;
}

/**
 * Where the sound a fresh decoder makes of `block` starts, in samples of the song (Opus: after the
 * pre-skip), from the block's first page and the song's header pages. A block starts on a page
 * that begins a fresh packet; that page's granule less the samples of the packets it completes is
 * where its first packet starts. An Opus decoder drops its pre-skip from whatever it decodes first,
 * so its sound starts that many samples on; a Vorbis decoder makes no sound of its first packet
 * (it only overlaps the next), so its sound starts where that packet ends.
 */
export function oggBlockFirstSample(header: Uint8Array, block: Uint8Array): number | undefined {
  const head = readOggDecoderHeader(header);
  const page = parseOggPage(block, 0);
  if (!head || !page || page === 'short' || page.granule === undefined || page.continued) return undefined;
  const { identification, modeFlags } = head;
  const complete: Uint8Array[] = [];
  let from = page.bodyStart;
  for (const packet of page.packets) {
    if (packet.ends) complete.push(block.subarray(from, from + packet.length));
    from += packet.length;
  }
  if (identification.codec === 'opus') {
    const spanned = complete.reduce((sum, packet) => sum + opusPacketSamples(packet), 0);
    return Math.max(0, page.granule - spanned);
  }
  // Vorbis: packet k gives (size(k-1) + size(k)) / 4 samples; those after the first come off the granule.
  const sizes = complete.map((packet) => vorbisPacketBlockSize(packet, modeFlags, identification.blockSizes));
  let after = 0;
  for (let k = 1; k < sizes.length; k++) after += ((sizes[k - 1] as number) + (sizes[k] as number)) / 4;
  return Math.max(0, page.granule - after);
}

/** Reads `length` bytes of the file at `position` (fewer at its end). */
export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

export interface OggScan {
  identification: OggIdentification;
  /** The header packets as the file has them (the comment header cut off past a bound: no tags then). */
  headerPackets: Uint8Array[];
  serial: number;
  blocks: BlockSpan[];
  /** Samples of the song (Opus: less its pre-skip). */
  totalSamples: number;
  audioStart: number;
  audioEnd: number;
  /** Why the scan stopped before the file's end, when it did (a second stream, damage). */
  stoppedEarly?: string;
}

/** Bytes read at a time. */
const WINDOW_BYTES = 256 * 1024;
/** A comment header larger than this (pictures) is not kept: its tags are not read. */
const MAX_COMMENT_BYTES = 8 * 1024 * 1024;
/** The setup and identification headers: a few kilobytes; past this the file is taken for damaged. */
const MAX_HEADER_PACKET_BYTES = 1024 * 1024;

/**
 * The Ogg Vorbis or Opus stream at the head of a file, page by page: its header packets, its
 * length (the last page's granule) and its 30-second blocks. Block `k` starts at the first page
 * that begins a fresh packet at or after `30k` seconds (the granule of the page before it says
 * where that packet starts). Only the file's first logical stream is served; a chained second
 * one ends the scan.
 * @throws when the file does not start as an Ogg Vorbis or Opus stream
 */
export async function scanOgg(
  read: ReadAt,
  size: number,
  options: {
    blockSeconds?: number;
    /** Called between reads: throws to give up (a time budget). */
    check?: () => void;
    /** Stop once the header packets are read (`blocks` is then empty). */
    headersOnly?: boolean;
  } = {},
): Promise<OggScan> {
  const { blockSeconds = BLOCK_SECONDS, check = () => {}, headersOnly = false } = options;
  let buf: Uint8Array = new Uint8Array(0);
  let base = 0;
  let at = 0;
  let identification: OggIdentification | undefined;
  let serial = 0;
  const headerPackets: Uint8Array[] = [];
  let pieces: Uint8Array[] = [];
  let pieceBytes = 0;
  let tooLong = false;
  const blocks: BlockSpan[] = [];
  let perBlock = 0;
  let audioStart = 0;
  let audioEnd = 0;
  let granule = 0;
  let stoppedEarly: string | undefined;
  for (;;) {
    const page = parseOggPage(buf, at - base, base);
    if (page === 'short') {
      if (at >= size) break;
      check();
      buf = await read(at, Math.max(WINDOW_BYTES, MAX_PAGE_BYTES));
      base = at;
      if (buf.length === 0) break;
      const again = parseOggPage(buf, 0, base);
      if (again === 'short') {
        stoppedEarly = `${size - at} bytes at the end are a cut-off page`;
        break;
      }
      continue;
    }
    if (!page) {
      if (!identification) throw new Error('not an Ogg stream (no page at its start)');
      stoppedEarly = `no Ogg page at byte ${at}: the rest is not served (damaged file?)`;
      break;
    }
    if (!identification) {
      if (!page.first) throw new Error('the first page does not begin a stream');
      serial = page.serial;
    } else if (page.serial !== serial) {
      stoppedEarly = page.first
        ? 'a second stream follows (chained Ogg): only the first is served'
        : 'pages of another stream are mixed in (multiplexed Ogg): not served';
      if (!page.first) throw new Error(stoppedEarly);
      break;
    }
    const wanted = identification?.headerPackets ?? 1;
    if (headerPackets.length < wanted) {
      // Header packets, gathered across pages.
      let from = page.offset - base + page.bodyStart;
      for (const packet of page.packets) {
        if (headerPackets.length >= wanted) throw new Error('audio on the page that ends the headers');
        if (pieceBytes + packet.length <= (headerPackets.length === 1 ? MAX_COMMENT_BYTES : MAX_HEADER_PACKET_BYTES))
          pieces.push(buf.slice(from, from + packet.length));
        else if (headerPackets.length === 1) tooLong = true;
        else throw new Error('a header packet is too long');
        pieceBytes += packet.length;
        from += packet.length;
        if (!packet.ends) continue;
        headerPackets.push(tooLong ? new Uint8Array(0) : Buffer.concat(pieces));
        pieces = [];
        pieceBytes = 0;
        tooLong = false;
        if (!identification) {
          identification = parseIdentification(headerPackets[0] as Uint8Array);
          if (!identification) throw new Error('an Ogg stream of a codec other than Vorbis or Opus');
          perBlock = blockSeconds * identification.sampleRate;
        }
      }
      at = page.offset + page.bytes;
      audioStart = at;
      audioEnd = at;
      if (headersOnly && identification && headerPackets.length === identification.headerPackets) break;
      continue;
    }
    const id = identification as OggIdentification;
    if (!page.continued) {
      const startsAt = Math.max(0, granule - id.preSkip);
      const index = Math.floor(startsAt / perBlock);
      const current = blocks[blocks.length - 1];
      if (!current || index >= blocks.length) {
        if (current) {
          current.length = page.offset - current.offset;
          current.end = blocks.length * blockSeconds;
        }
        blocks.push({
          index: blocks.length,
          offset: page.offset,
          length: 0,
          start: blocks.length * blockSeconds,
          end: 0,
        });
      }
    }
    if (page.granule !== undefined) granule = page.granule;
    at = page.offset + page.bytes;
    audioEnd = at;
    if (page.last) break;
  }
  if (!identification || headerPackets.length < identification.headerPackets)
    throw new Error('the stream ends in its headers');
  if (headersOnly) return { identification, headerPackets, serial, blocks, totalSamples: 0, audioStart, audioEnd };
  if (!stoppedEarly && audioEnd < size) {
    const next = parseOggPage(await read(audioEnd, MAX_PAGE_BYTES), 0, audioEnd);
    stoppedEarly =
      next && next !== 'short' && next.first
        ? 'a second stream follows (chained Ogg): only the first is served'
        : `${size - audioEnd} bytes after the stream's end are not served`;
  }
  const totalSamples = Math.max(0, granule - identification.preSkip);
  const last = blocks[blocks.length - 1];
  if (!last) throw new Error('no audio pages');
  last.length = audioEnd - last.offset;
  last.end = totalSamples / identification.sampleRate;
  return {
    identification,
    headerPackets,
    serial,
    blocks,
    totalSamples,
    audioStart,
    audioEnd,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}
