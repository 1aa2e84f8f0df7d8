/**
 * FLAC's layout (https://xiph.org/flac/format.html): the metadata blocks after `fLaC`, the
 * STREAMINFO a decoder needs, and the frame headers a block is cut at.
 *
 * FLAC frames carry no length, only a header with a sync code, the frame's first sample and a
 * CRC-8. A frame is taken where a header's CRC holds, its fields agree with STREAMINFO and the
 * frame after it starts where its samples end (or the stream does): a sync code inside the
 * compressed data passes all three about never.
 */
import { BLOCK_SECONDS } from '../limits.js';
import type { BlockSpan } from './blocks.js';

export interface FlacStreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  sampleRate: number;
  channels: number;
  bits: number;
  /** Samples per channel; 0 when the encoder did not know. */
  totalSamples: number;
}

export interface FlacLayout {
  info: FlacStreamInfo;
  /** The 42 bytes a decoder needs before any frame: `fLaC` and STREAMINFO, marked the last metadata block. */
  decoderHeader: Buffer;
  /** Where the metadata blocks end and the first frame begins. */
  audioStart: number;
}

export interface FlacFrame {
  offset: number;
  /** The frame's first sample (per channel) in the stream. */
  sample: number;
  blockSize: number;
}

/** Reads `length` bytes of the file at `position` (fewer at its end). */
export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

const STREAMINFO = 0;
const STREAMINFO_BYTES = 34;
const VORBIS_COMMENT = 4;
const PICTURE = 6;
/** Tags, lyrics and all: more is not read (a picture belongs in its own block). */
const MAX_COMMENT_BYTES = 8 * 1024 * 1024;
/** A frame header is at most 16 bytes (2 sync, 2 codes, 7 number, 2 size, 2 rate, 1 CRC). */
const MAX_HEADER_BYTES = 16;

const CRC8 = (() => {
  const table = new Uint8Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    table[n] = c;
  }
  return table;
})();

/** What the metadata at the head of a FLAC file gives. */
export interface FlacHead {
  ok: true;
  layout: FlacLayout;
  /** The (first) Vorbis comment block's body, where the tags are. */
  comments?: Uint8Array;
  /** A PICTURE block is among the metadata. */
  picture: boolean;
  /** A Vorbis comment block was not read (over 8 MiB, or a second one). */
  commentsUnread: boolean;
}

/**
 * The metadata at the head of a FLAC file, from `start` (past any ID3v2 tag): each block's header
 * is read and its body stepped over, so a large picture costs no read. The Vorbis comment block,
 * where the tags are, is returned whole when there is one.
 * @returns the layout, or why the file is not FLAC
 */
export async function readFlacHead(
  read: ReadAt,
  start: number,
  size: number,
): Promise<FlacHead | { ok: false; reason: string }> {
  if (Buffer.from(await read(start, 4)).toString('latin1') !== 'fLaC') return { ok: false, reason: 'no fLaC marker' };
  let at = start + 4;
  let info: FlacStreamInfo | undefined;
  let infoBytes: Uint8Array | undefined;
  let comments: Uint8Array | undefined;
  let picture = false;
  let commentsUnread = false;
  for (let blocks = 0; ; blocks++) {
    const header = await read(at, 4);
    if (header.length < 4 || blocks > 1024) return { ok: false, reason: 'metadata cut off' };
    const last = ((header[0] as number) & 0x80) !== 0;
    const type = (header[0] as number) & 0x7f;
    const length = ((header[1] as number) << 16) | ((header[2] as number) << 8) | (header[3] as number);
    if (at + 4 + length > size) return { ok: false, reason: 'metadata cut off' };
    if (!info) {
      if (type !== STREAMINFO || length !== STREAMINFO_BYTES) return { ok: false, reason: 'no STREAMINFO first' };
      infoBytes = await read(at + 4, length);
      info = parseStreamInfo(infoBytes);
      if (!info) return { ok: false, reason: 'STREAMINFO out of range' };
    } else if (type === VORBIS_COMMENT && !comments && length <= MAX_COMMENT_BYTES)
      comments = await read(at + 4, length);
    else if (type === VORBIS_COMMENT) commentsUnread = true;
    else if (type === PICTURE) picture = true;
    else if (type === 127) return { ok: false, reason: 'invalid metadata block' };
    at += 4 + length;
    if (last) break;
  }
  const decoderHeader = Buffer.alloc(4 + 4 + STREAMINFO_BYTES);
  decoderHeader.write('fLaC', 0, 'latin1');
  decoderHeader.set([0x80 | STREAMINFO, 0, 0, STREAMINFO_BYTES], 4);
  decoderHeader.set(infoBytes as Uint8Array, 8);
  return {
    ok: true,
    layout: { info, decoderHeader, audioStart: at },
    ...(comments ? { comments } : {}),
    picture,
    commentsUnread,
  };
}

function parseStreamInfo(bytes: Uint8Array): FlacStreamInfo | undefined {
  const b = (i: number): number => bytes[i] as number;
  const minBlockSize = (b(0) << 8) | b(1);
  const maxBlockSize = (b(2) << 8) | b(3);
  const sampleRate = (b(10) << 12) | (b(11) << 4) | (b(12) >> 4);
  const channels = ((b(12) >> 1) & 7) + 1;
  const bits = (((b(12) & 1) << 4) | (b(13) >> 4)) + 1;
  const totalSamples = (b(13) & 0x0f) * 2 ** 32 + ((b(14) << 24) >>> 0) + ((b(15) << 16) | (b(16) << 8) | b(17));
  if (sampleRate === 0 || sampleRate > 655350 || bits < 4 || maxBlockSize < 16 || minBlockSize > maxBlockSize)
    return undefined;
  return { minBlockSize, maxBlockSize, sampleRate, channels, bits, totalSamples };
}

const BLOCK_SIZES = [0, 192, 576, 1152, 2304, 4608, -8, -16, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
const RATES = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000, -8, -16, -160, -1];
const BITS = [0, 8, 12, -1, 16, 20, 24, 32];

/**
 * The frame header at `at`, if one is there that agrees with `info` (sync, codes, CRC-8); its
 * sample is its frame number times the stream's block size for a fixed-size stream.
 */
export function parseFlacFrameHeader(buf: Uint8Array, at: number, info: FlacStreamInfo): FlacFrame | undefined {
  if (at + 6 > buf.length || buf[at] !== 0xff || ((buf[at + 1] as number) & 0xfe) !== 0xf8) return undefined;
  const variable = ((buf[at + 1] as number) & 1) === 1;
  const sizeCode = (buf[at + 2] as number) >> 4;
  const rateCode = (buf[at + 2] as number) & 0x0f;
  const channelCode = (buf[at + 3] as number) >> 4;
  const bitsCode = ((buf[at + 3] as number) >> 1) & 7;
  if (sizeCode === 0 || rateCode === 15 || channelCode > 10 || ((buf[at + 3] as number) & 1) !== 0) return undefined;
  const channels = channelCode < 8 ? channelCode + 1 : 2;
  const bits = BITS[bitsCode] as number;
  if (channels !== info.channels || bits < 0 || (bits !== 0 && bits !== info.bits)) return undefined;
  // The frame or sample number, UTF-8 coded (up to 36 bits in 7 bytes).
  let p = at + 4;
  const lead = buf[p++] as number;
  if (lead >= 0x80 && lead < 0xc0) return undefined;
  // Leading ones say how many continuation bytes follow; the rest of the first byte starts the number.
  const extra = lead < 0x80 ? 0 : Math.clz32(~(lead << 24)) - 1;
  let number = lead & (0x7f >> extra);
  if (extra > 6 || (extra === 6 && !variable)) return undefined;
  if (p + extra + 5 > buf.length) return undefined;
  for (let k = 0; k < extra; k++) {
    const c = buf[p++] as number;
    if ((c & 0xc0) !== 0x80) return undefined;
    number = number * 64 + (c & 0x3f);
  }
  let blockSize = BLOCK_SIZES[sizeCode] as number;
  if (blockSize === -8) blockSize = (buf[p++] as number) + 1;
  else if (blockSize === -16) blockSize = (((buf[p++] as number) << 8) | (buf[p++] as number)) + 1;
  const rate = RATES[rateCode] as number;
  if (rate === -8) p += 1;
  else if (rate < -1) p += 2;
  if (rate > 0 && rate !== info.sampleRate) return undefined;
  let crc = 0;
  for (let k = at; k < p; k++) crc = CRC8[crc ^ (buf[k] as number)] as number;
  if (crc !== buf[p]) return undefined;
  if (blockSize > info.maxBlockSize) return undefined;
  const sample = variable ? number : number * info.maxBlockSize;
  if (info.totalSamples > 0 && sample >= info.totalSamples) return undefined;
  return { offset: at, sample, blockSize };
}

/** Where a search for a frame got to: a frame, none in the bytes, or undecidable without bytes after them. */
export type FlacSearch = FlacFrame | { none: true } | { undecided: number };

/**
 * The first frame at or after `from` in `buf` (which holds the file's bytes from offset `base`),
 * confirmed by the header of the frame after it, or by the stream's end when its samples end the
 * stream. `end` is where the audio ends.
 */
export function findFlacFrame(
  buf: Uint8Array,
  base: number,
  from: number,
  end: number,
  info: FlacStreamInfo,
): FlacSearch {
  const whole = base + buf.length >= end;
  // A header not confirmed in these bytes: a frame whose next lies past them, or a false sync.
  // A confirmed frame after it shows it false (its next frame would have come first).
  let unconfirmed: number | undefined;
  for (let at = buf.indexOf(0xff, from - base); at !== -1; at = buf.indexOf(0xff, at + 1)) {
    if (at + MAX_HEADER_BYTES > buf.length && !whole) return { undecided: base + (unconfirmed ?? at) };
    const frame = parseFlacFrameHeader(buf, at, info);
    if (!frame) continue;
    const next = frame.sample + frame.blockSize;
    const found = { ...frame, offset: base + at };
    if (info.totalSamples > 0 && next >= info.totalSamples) return found;
    let confirmed = false;
    for (let k = buf.indexOf(0xff, at + 4); k !== -1 && !confirmed; k = buf.indexOf(0xff, k + 1))
      confirmed = parseFlacFrameHeader(buf, k, info)?.sample === next;
    if (confirmed) return found;
    if (whole && info.totalSamples === 0) return found; // the last frame of a stream of unknown length
    unconfirmed ??= at;
  }
  if (whole) return { none: true };
  return { undecided: base + (unconfirmed ?? Math.max(from - base, buf.length - MAX_HEADER_BYTES)) };
}

/** Bytes read at a time: several frames of any common stream; a larger frame makes the read grow. */
const WINDOW_BYTES = 256 * 1024;
/** The largest frame possible: 65535 samples of 8 channels of 32 bits, uncompressed. */
const MAX_FRAME_BYTES = 65535 * 8 * 4 + 64;

/** The file's frames, found by reads of a window that is kept for the next question. */
class FrameFinder {
  private buf: Uint8Array = new Uint8Array(0);
  private base = 0;
  reads = 0;

  constructor(
    private readonly read: ReadAt,
    private readonly info: FlacStreamInfo,
    private readonly end: number,
  ) {}

  /** The first frame at or after `position`, or undefined when none is before the end. */
  async after(position: number): Promise<FlacFrame | undefined> {
    let from = position;
    let size = WINDOW_BYTES;
    for (;;) {
      if (from >= this.end) return undefined;
      if (
        from < this.base ||
        from >= this.base + this.buf.length ||
        this.buf.length < Math.min(size, this.end - this.base)
      )
        await this.load(from, size);
      const search = findFlacFrame(this.buf, this.base, from, this.end, this.info);
      if ('none' in search) return undefined;
      if (!('undecided' in search)) return search;
      if (search.undecided === from && from === this.base) {
        // A frame larger than the window: read more of it at once.
        if (size >= 2 * MAX_FRAME_BYTES) return undefined;
        size *= 2;
        await this.load(from, size);
      } else {
        from = search.undecided;
        await this.load(from, size);
      }
    }
  }

  private async load(from: number, size: number): Promise<void> {
    this.reads++;
    this.base = from;
    this.buf = await this.read(from, Math.min(size, this.end - from));
  }
}

/**
 * The 30-second blocks of a FLAC stream whose frames lie in [audioStart, end): each block starts
 * at the first frame whose first sample is in its window. Each start is looked for where the
 * bitrate puts it and the guess corrected, so a song costs a few reads a block, not a read of the
 * whole file.
 * @throws when the stream's first frame is not where its metadata ends (a damaged file)
 */
export async function flacBlocks(
  read: ReadAt,
  layout: FlacLayout,
  end: number,
  blockSeconds = BLOCK_SECONDS,
): Promise<{ blocks: BlockSpan[]; totalSamples: number; reads: number }> {
  const { info } = layout;
  const frames = new FrameFinder(read, info, end);
  const first = await frames.after(layout.audioStart);
  if (!first || first.offset !== layout.audioStart || first.sample !== 0)
    throw new Error('no FLAC frame where the metadata ends');
  const totalSamples = info.totalSamples || (await lastSample(frames, first, end));
  const bytesPerSample = (end - first.offset) / totalSamples;
  const perBlock = blockSeconds * info.sampleRate;
  const starts: FlacFrame[] = [first];
  for (let target = perBlock; target < totalSamples; target += perBlock) {
    const found = await firstFrameFrom(target, starts[starts.length - 1] as FlacFrame, frames, end, bytesPerSample);
    if (!found) break; // no frame starts in the last window: the block before holds its samples
    starts.push(found);
  }
  const blocks = starts.map((frame, k): BlockSpan => {
    const next = starts[k + 1];
    const index = Math.floor(frame.sample / perBlock);
    return {
      index,
      offset: frame.offset,
      length: (next ? next.offset : end) - frame.offset,
      start: index * blockSeconds,
      end: next ? Math.floor(next.sample / perBlock) * blockSeconds : totalSamples / info.sampleRate,
    };
  });
  return { blocks, totalSamples, reads: frames.reads };
}

/**
 * The first frame whose first sample is `target` or later, after `known` (a frame before it):
 * guesses from the bytes per sample, kept between a frame before the target and a position past
 * it, until the two are a window apart; then frame by frame.
 */
async function firstFrameFrom(
  target: number,
  known: FlacFrame,
  frames: FrameFinder,
  end: number,
  bytesPerSample: number,
): Promise<FlacFrame | undefined> {
  let low = known;
  let high = end;
  const margin = WINDOW_BYTES / 8;
  for (let tries = 0; tries < 40; tries++) {
    const ahead = (target - low.sample) * bytesPerSample;
    if (ahead < WINDOW_BYTES / 2 || high - low.offset < WINDOW_BYTES / 2) break;
    // Aim a little short of the target, so that the frame found is most often just before it.
    const aim = tries < 8 ? low.offset + ahead - margin : (low.offset + high) / 2;
    const guess = Math.round(Math.min(high - margin, Math.max(low.offset + 1, aim)));
    const frame = await frames.after(guess);
    if (!frame || frame.sample >= target) high = guess;
    else low = frame;
  }
  for (let frame: FlacFrame | undefined = low; frame; frame = await frames.after(frame.offset + 1))
    if (frame.sample >= target) return frame;
  return undefined;
}

/** A stream whose STREAMINFO does not say its length: where its last frame ends. */
async function lastSample(frames: FrameFinder, first: FlacFrame, end: number): Promise<number> {
  let last = (await frames.after(Math.max(first.offset, end - MAX_FRAME_BYTES))) ?? first;
  for (let frame: FlacFrame | undefined = last; frame; frame = await frames.after(frame.offset + 1)) last = frame;
  return last.sample + last.blockSize;
}

/**
 * The first sample of the FLAC frame at the start of `block`, read with the STREAMINFO of the
 * song's decoder header (`fLaC` and STREAMINFO): where a block from the middle starts, exactly.
 */
export function flacBlockFirstSample(header: Uint8Array, block: Uint8Array): number | undefined {
  if (header.length < 8 + STREAMINFO_BYTES) return undefined;
  const info = parseStreamInfo(header.subarray(8, 8 + STREAMINFO_BYTES));
  return info && parseFlacFrameHeader(block, 0, info)?.sample;
}

/** Where STREAMINFO is in a decoder header (`fLaC`, a block header, then STREAMINFO), and its total of samples and MD5 in it. */
const STREAMINFO_AT = 8;
const TOTAL_SAMPLES_AT = STREAMINFO_AT + 13;
const MD5_AT = STREAMINFO_AT + 18;

/**
 * A copy of the song's decoder header whose STREAMINFO says neither how many samples the audio
 * has nor their MD5 (both unknown, as a live encoder writes them): the flac program checks both
 * at the end, and a play that starts after the first block decodes neither all the samples nor
 * the same audio. Anything else is returned as it is.
 */
export function withoutLengthAndMd5(header: Uint8Array): Buffer {
  const copy = Buffer.from(header);
  const isStreamInfo =
    copy.length >= STREAMINFO_AT + STREAMINFO_BYTES &&
    copy.toString('latin1', 0, 4) === 'fLaC' &&
    ((copy[4] as number) & 0x7f) === STREAMINFO;
  if (!isStreamInfo) return copy;
  // The total is the low 4 bits of its first byte and the 4 bytes after; the bits before are the sample size's.
  copy[TOTAL_SAMPLES_AT] = (copy[TOTAL_SAMPLES_AT] as number) & 0xf0;
  copy.fill(0, TOTAL_SAMPLES_AT + 1, TOTAL_SAMPLES_AT + 5);
  copy.fill(0, MD5_AT, MD5_AT + 16);
  return copy;
}
