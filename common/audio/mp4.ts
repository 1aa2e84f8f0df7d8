/**
 * MP4 audio (`.m4a`, ISO/IEC 14496-12 and -14) with AAC-LC or ALAC in it: the boxes that say
 * where each sample (an AAC access unit, an ALAC frame) is and how long it is, the tags of
 * iTunes's `ilst`, the encoder delay (`iTunSMPB`, else the edit list), and the decoder's header
 * the player needs: the codec's configuration and the sample table. Pure.
 *
 * A sample carries no length of its own in the file: its size is in `stsz`. So the player cuts a
 * block into samples with the table `header` gives it (docs/protocol.md, Formats).
 */
import { BLOCK_SECONDS } from '../limits.js';
import type { BlockSpan } from './blocks.js';

export type Mp4Codec = 'aac' | 'alac';

/** Reads `length` bytes of the file at `position` (fewer at its end). */
export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

export interface Mp4Tags {
  title?: string;
  artist?: string;
  album?: string;
  albumArtist?: string;
  genre?: string;
  track?: number;
  disc?: number;
  year?: number;
  /** Freeform `----` atoms (`com.apple.iTunes` names, lower case): ReplayGain's among them. */
  freeform: Record<string, string>;
}

export interface Mp4Audio {
  codec: Mp4Codec;
  sampleRate: number;
  channels: number;
  /** ALAC: bits per sample. */
  bits?: number;
  /** The decoder's configuration: AAC's AudioSpecificConfig, ALAC's 24-byte ALACSpecificConfig. */
  config: Uint8Array;
  /** Samples of each access unit, in order (from `stts`), at `sampleRate`. */
  durations: number[];
  sizes: number[];
  /** Where the first sample starts; the rest follow it with no gap (checked). */
  dataStart: number;
  /** Samples the encoder put before the sound (priming), and the sound's length. */
  delay: number;
  totalSamples: number;
  tags: Mp4Tags;
}

/** The largest `moov` read: a cover picture lives in it, and a sample table of hours. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

interface Box {
  type: string;
  /** Where its body starts and ends, in the buffer or file. */
  start: number;
  end: number;
}

/** The boxes in `buf[from, to)`. */
function boxes(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  for (let at = from; at + 8 <= to;) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to)
      throw new Error(`a '${buf.toString('latin1', at + 4, at + 8)}' box runs past its parent`);
    out.push({ type: buf.toString('latin1', at + 4, at + 8), start: at + header, end: at + size });
    at += size;
  }
  return out;
}

const child = (buf: Buffer, parent: Box, type: string): Box | undefined =>
  boxes(buf, parent.start, parent.end).find((b) => b.type === type);

function descend(buf: Buffer, parent: Box, ...types: string[]): Box | undefined {
  let at: Box | undefined = parent;
  for (const type of types) at = at && child(buf, at, type);
  return at;
}

/** An MPEG-4 descriptor's length (1 to 4 bytes of 7 bits). */
function descriptorLength(buf: Buffer, at: number): { length: number; next: number } {
  let length = 0;
  let p = at;
  for (let k = 0; k < 4; k++) {
    const byte = buf[p++] as number;
    length = (length << 7) | (byte & 0x7f);
    if ((byte & 0x80) === 0) break;
  }
  return { length, next: p };
}

/** The AudioSpecificConfig in an `esds` box (ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo). */
function audioSpecificConfig(buf: Buffer, esds: Box): Uint8Array | undefined {
  let at = esds.start + 4; // version and flags
  if (buf[at] !== 0x03) return undefined;
  let d = descriptorLength(buf, at + 1);
  at = d.next;
  const flags = buf[at + 2] as number;
  at += 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x40 ? 1 + (buf[at + 3] as number) : 0) + (flags & 0x20 ? 2 : 0);
  if (buf[at] !== 0x04) return undefined;
  d = descriptorLength(buf, at + 1);
  if (buf[d.next] !== 0x40) return undefined; // not MPEG-4 audio
  at = d.next + 13;
  if (buf[at] !== 0x05) return undefined;
  d = descriptorLength(buf, at + 1);
  return d.next + d.length <= esds.end ? buf.subarray(d.next, d.next + d.length) : undefined;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** A string atom's text (`data` box: type, locale, then UTF-8). */
function dataText(buf: Buffer, atom: Box): string | undefined {
  const data = child(buf, atom, 'data');
  return data && data.end - data.start >= 8 ? buf.toString('utf8', data.start + 8, data.end).trim() : undefined;
}

function readTags(buf: Buffer, ilst: Box | undefined): Mp4Tags {
  const tags: Mp4Tags = { freeform: {} };
  if (!ilst) return tags;
  const text: Record<string, 'title' | 'artist' | 'album' | 'albumArtist' | 'genre'> = {
    '\xa9nam': 'title',
    '\xa9ART': 'artist',
    '\xa9alb': 'album',
    aART: 'albumArtist',
    '\xa9gen': 'genre',
  };
  for (const atom of boxes(buf, ilst.start, ilst.end)) {
    const field = text[atom.type];
    if (field) {
      const value = dataText(buf, atom);
      if (value) tags[field] = value;
    } else if (atom.type === '\xa9day') {
      const year = Number(/^\s*(\d{4})/.exec(dataText(buf, atom) ?? '')?.[1]);
      if (year > 0) tags.year = year;
    } else if (atom.type === 'trkn' || atom.type === 'disk') {
      const data = child(buf, atom, 'data');
      const number = data && data.end - data.start >= 12 ? buf.readUInt16BE(data.start + 10) : 0;
      if (number > 0) tags[atom.type === 'trkn' ? 'track' : 'disc'] = number;
    } else if (atom.type === '----') {
      const name = child(buf, atom, 'name');
      const value = dataText(buf, atom);
      if (name && value !== undefined)
        tags.freeform[buf.toString('utf8', name.start + 4, name.end).toLowerCase()] = value;
    }
  }
  return tags;
}

/**
 * Bytes read at a time while the boxes are walked: a box's header and, as a rule, the box after it
 * or the whole moov come in one read. A moov at the end (ffmpeg's and many taggers' layout) is then
 * two reads, where a read per box header was five or more: each is a wait on the daemon's thread
 * pool between a key and the song's first sound.
 */
const WALK_READ_BYTES = 64 * 1024;

/** The first `moov` of the file, found by walking its top-level boxes. */
async function readMoov(read: ReadAt, size: number): Promise<Buffer> {
  let window = Buffer.alloc(0);
  let windowAt = 0;
  /** The bytes at [at, at + length), from the window when it holds them, else a new window read there. */
  const bytesAt = async (at: number, length: number): Promise<Buffer> => {
    if (at < windowAt || at + length > windowAt + window.length) {
      window = Buffer.from(await read(at, Math.min(size - at, Math.max(length, WALK_READ_BYTES))));
      windowAt = at;
    }
    return window.subarray(at - windowAt, at - windowAt + length);
  };
  for (let at = 0; at + 8 <= size;) {
    const head = await bytesAt(at, Math.min(16, size - at));
    if (head.length < 8) break;
    let boxSize = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    if (at === 0 && type !== 'ftyp') throw new Error('not an MP4 file (no ftyp box first)');
    if (boxSize === 1) boxSize = head.length >= 16 ? Number(head.readBigUInt64BE(8)) : 0;
    else if (boxSize === 0) boxSize = size - at;
    if (boxSize < 8) throw new Error(`a box of ${boxSize} bytes at byte ${at}`);
    if (type === 'moov') {
      if (boxSize > MAX_MOOV_BYTES) throw new Error('its moov box is over 64 MiB');
      const moov = Buffer.from(await bytesAt(at, Math.min(boxSize, size - at)));
      if (moov.length < boxSize) throw new Error('its moov box is cut off');
      return moov;
    }
    at += boxSize;
  }
  throw new Error('no moov box (a cut-off or fragmented MP4)');
}

/**
 * The first audio track of an MP4 file: its codec, the size and length of each sample, the
 * encoder delay and the tags.
 * @throws when it has none this reads (another codec, HE-AAC, samples not in one run)
 */
export async function readMp4Audio(read: ReadAt, size: number): Promise<Mp4Audio> {
  const buf = await readMoov(read, size);
  const moov: Box = { type: 'moov', start: 8, end: buf.length };
  const traks = boxes(buf, moov.start, moov.end).filter((b) => b.type === 'trak');
  const trak = traks.find((t) => {
    const hdlr = descend(buf, t, 'mdia', 'hdlr');
    return hdlr && buf.toString('latin1', hdlr.start + 8, hdlr.start + 12) === 'soun';
  });
  if (!trak) throw new Error('no audio track');
  const mdhd = descend(buf, trak, 'mdia', 'mdhd');
  const stbl = descend(buf, trak, 'mdia', 'minf', 'stbl');
  const stsd = stbl && child(buf, stbl, 'stsd');
  if (!mdhd || !stbl || !stsd) throw new Error('its audio track has no sample table');
  const timescale = buf.readUInt32BE(mdhd.start + (buf[mdhd.start] === 1 ? 20 : 12));
  const entry = boxes(buf, stsd.start + 8, stsd.end)[0];
  if (!entry) throw new Error('no sample description');
  // An audio sample entry: 8 bytes, version 2 + 6 reserved, channels, sample size, 4, rate 16.16.
  let channels = buf.readUInt16BE(entry.start + 16);
  let sampleRate = buf.readUInt16BE(entry.start + 24);
  const children = { start: entry.start + 28, end: entry.end, type: entry.type };
  let codec: Mp4Codec;
  let config: Uint8Array;
  let bits: number | undefined;
  if (entry.type === 'mp4a') {
    const esds = child(buf, children, 'esds');
    const asc = esds && audioSpecificConfig(buf, esds);
    if (!asc || asc.length < 2) throw new Error('AAC without its decoder configuration');
    const objectType = (asc[0] as number) >> 3;
    if (objectType !== 2) throw new Error(`AAC of object type ${objectType} (only AAC-LC, 2, is served)`);
    const rateIndex = (((asc[0] as number) & 7) << 1) | ((asc[1] as number) >> 7);
    const channelConfig = ((asc[1] as number) >> 3) & 0x0f;
    sampleRate = AAC_RATES[rateIndex] ?? sampleRate;
    if (channelConfig > 0) channels = channelConfig === 7 ? 8 : channelConfig;
    codec = 'aac';
    config = asc;
  } else if (entry.type === 'alac') {
    const alac = child(buf, children, 'alac');
    if (!alac || alac.end - alac.start < 28) throw new Error('ALAC without its decoder configuration');
    config = buf.subarray(alac.start + 4, alac.start + 28);
    const view = Buffer.from(config);
    bits = view[5] as number;
    channels = view[9] as number;
    sampleRate = view.readUInt32BE(20);
    codec = 'alac';
  } else throw new Error(`an MP4 of codec '${entry.type}' (AAC-LC and ALAC are served)`);
  if (sampleRate === 0 || channels === 0 || timescale === 0) throw new Error('an audio track with no rate or channels');

  // Each sample's length, at the sample rate.
  const stts = child(buf, stbl, 'stts');
  const stsz = child(buf, stbl, 'stsz');
  const stsc = child(buf, stbl, 'stsc');
  const stco = child(buf, stbl, 'stco') ?? child(buf, stbl, 'co64');
  if (!stts || !stsz || !stsc || !stco) throw new Error('its sample table is incomplete');
  const scale = sampleRate / timescale;
  // Counts are the file's word: each is held to what the boxes and the file can hold before
  // anything is made that big (a stts run of 4 billion samples, a fixed size times a huge count).
  const fixed = buf.readUInt32BE(stsz.start + 4);
  const count = buf.readUInt32BE(stsz.start + 8);
  if (fixed === 0 ? stsz.start + 12 + 4 * count > stsz.end : fixed * count > size)
    throw new Error('its sample sizes run past their box or the file');
  const sizes = Array.from({ length: count }, (_, i) => fixed || buf.readUInt32BE(stsz.start + 12 + 4 * i));
  const durations: number[] = [];
  for (let k = 0, n = buf.readUInt32BE(stts.start + 4); k < n; k++) {
    const many = buf.readUInt32BE(stts.start + 8 + 8 * k);
    const delta = Math.round(buf.readUInt32BE(stts.start + 12 + 8 * k) * scale);
    if (durations.length + many > count) break;
    for (let i = 0; i < many; i++) durations.push(delta);
  }
  if (durations.length !== count) throw new Error('its sample tables disagree on the number of samples');
  // Where each chunk starts; its samples follow one another.
  const wide = stco.type === 'co64';
  const chunkCount = buf.readUInt32BE(stco.start + 4);
  if (stco.start + 8 + chunkCount * (wide ? 8 : 4) > stco.end) throw new Error('its chunk offsets run past their box');
  const chunkOffset = (k: number): number =>
    wide ? Number(buf.readBigUInt64BE(stco.start + 8 + 8 * k)) : buf.readUInt32BE(stco.start + 8 + 4 * k);
  const runs = buf.readUInt32BE(stsc.start + 4);
  let sample = 0;
  let expected = chunkOffset(0);
  const dataStart = expected;
  for (let r = 0; r < runs; r++) {
    const firstChunk = buf.readUInt32BE(stsc.start + 8 + 12 * r) - 1;
    const perChunk = buf.readUInt32BE(stsc.start + 12 + 12 * r);
    const lastChunk = Math.min(
      chunkCount,
      r + 1 < runs ? buf.readUInt32BE(stsc.start + 8 + 12 * (r + 1)) - 1 : chunkCount,
    );
    for (let c = firstChunk; c < lastChunk && sample < count; c++) {
      if (chunkOffset(c) !== expected) throw new Error('its audio is not in one run (interleaved tracks): not served');
      for (let i = 0; i < perChunk && sample < count; i++) expected += sizes[sample++] as number;
    }
  }
  if (sample !== count) throw new Error('its chunks hold fewer samples than its table');
  if (expected > size) throw new Error('its audio runs past the end of the file (cut off)');

  const tags = readTags(buf, ilstOf(buf, moov));
  const all = durations.reduce((sum, d) => sum + d, 0);
  let delay = 0;
  let totalSamples = all;
  // iTunes: ' 00000000 <delay> <padding> <total samples>' in hex.
  const smpb = tags.freeform['itunsmpb']?.trim().split(/\s+/);
  const elst = descend(buf, trak, 'edts', 'elst');
  if (smpb && smpb.length >= 4) {
    delay = parseInt(smpb[1] as string, 16) || 0;
    totalSamples = Number.parseInt(smpb[3] as string, 16) || all - delay;
  } else if (elst && buf.readUInt32BE(elst.start + 4) >= 1) {
    const v1 = buf[elst.start] === 1;
    const mvhd = descend(buf, moov, 'mvhd');
    const movieScale = mvhd ? buf.readUInt32BE(mvhd.start + (buf[mvhd.start] === 1 ? 20 : 12)) : timescale;
    const segment = v1 ? Number(buf.readBigUInt64BE(elst.start + 8)) : buf.readUInt32BE(elst.start + 8);
    const mediaTime = v1 ? Number(buf.readBigInt64BE(elst.start + 16)) : buf.readInt32BE(elst.start + 12);
    if (mediaTime > 0) delay = Math.round(mediaTime * scale);
    if (segment > 0) totalSamples = Math.round((segment / movieScale) * sampleRate);
  }
  totalSamples = Math.max(0, Math.min(totalSamples, all - delay));
  return {
    codec,
    sampleRate,
    channels,
    ...(bits ? { bits } : {}),
    config,
    durations,
    sizes,
    dataStart,
    delay,
    totalSamples,
    tags,
  };
}

/** `moov/udta/meta/ilst`: `meta` is a full box (4 bytes of version and flags before its children). */
function ilstOf(buf: Buffer, moov: Box): Box | undefined {
  const meta = descend(buf, moov, 'udta', 'meta');
  if (!meta) return undefined;
  const fullBox = boxes(buf, meta.start + 4, meta.end);
  return fullBox.find((b) => b.type === 'ilst');
}

/**
 * The 30-second blocks: block `k` starts at the first sample whose sound (less the encoder delay)
 * starts at or after `30k` seconds. With each block, the index of its first sample.
 */
export function mp4Blocks(audio: Mp4Audio, blockSeconds = BLOCK_SECONDS): Array<BlockSpan & { firstSample: number }> {
  const perBlock = blockSeconds * audio.sampleRate;
  const blocks: Array<BlockSpan & { firstSample: number }> = [];
  let time = 0;
  let offset = audio.dataStart;
  for (let i = 0; i < audio.sizes.length; i++) {
    const index = i === 0 ? 0 : Math.floor(Math.max(0, time - audio.delay) / perBlock);
    if (index >= blocks.length) {
      const last = blocks[blocks.length - 1];
      if (last) {
        last.length = offset - last.offset;
        last.end = blocks.length * blockSeconds;
      }
      blocks.push({
        index: blocks.length,
        offset,
        length: 0,
        start: blocks.length * blockSeconds,
        end: 0,
        firstSample: i,
      });
    }
    time += audio.durations[i] as number;
    offset += audio.sizes[i] as number;
  }
  const last = blocks[blocks.length - 1];
  if (last) {
    last.length = offset - last.offset;
    last.end = audio.totalSamples / audio.sampleRate;
  }
  return blocks;
}

/**
 * The decoder header of an MP4 song (docs/protocol.md, Formats): `sdm4`, version 1, the codec
 * (1 AAC, 2 ALAC), channels, bits, rate, delay, total samples, the configuration, then each
 * block's first sample and the time it starts at, every sample's size, and the samples' lengths
 * as runs (count, length), as `stts` has them. Big-endian.
 */
export function mp4DecoderHeader(audio: Mp4Audio, blocks: ReadonlyArray<{ firstSample: number }>): Buffer {
  const head = Buffer.alloc(4 + 1 + 1 + 1 + 1 + 4 + 4 + 4 + 2);
  head.write('sdm4', 0, 'latin1');
  head[4] = 1;
  head[5] = audio.codec === 'aac' ? 1 : 2;
  head[6] = audio.channels;
  head[7] = audio.bits ?? 16;
  head.writeUInt32BE(audio.sampleRate, 8);
  head.writeUInt32BE(audio.delay, 12);
  head.writeUInt32BE(audio.totalSamples, 16);
  head.writeUInt16BE(audio.config.length, 20);
  const runs: Array<[number, number]> = [];
  for (const duration of audio.durations) {
    const run = runs[runs.length - 1];
    if (run && run[1] === duration) run[0]++;
    else runs.push([1, duration]);
  }
  const table = Buffer.alloc(4 + blocks.length * 8 + 4 + audio.sizes.length * 4 + 4 + runs.length * 8);
  let at = table.writeUInt32BE(blocks.length, 0);
  let time = 0;
  let sample = 0;
  for (const block of blocks) {
    for (; sample < block.firstSample; sample++) time += audio.durations[sample] as number;
    at = table.writeUInt32BE(block.firstSample, at);
    at = table.writeUInt32BE(time, at);
  }
  at = table.writeUInt32BE(audio.sizes.length, at);
  for (const size of audio.sizes) at = table.writeUInt32BE(size, at);
  at = table.writeUInt32BE(runs.length, at);
  for (const [count, duration] of runs) at = table.writeUInt32BE(duration, table.writeUInt32BE(count, at));
  return Buffer.concat([head, audio.config, table]);
}

export interface Mp4DecoderHeader {
  codec: Mp4Codec;
  channels: number;
  bits: number;
  sampleRate: number;
  delay: number;
  totalSamples: number;
  config: Buffer;
  blocks: Array<{ firstSample: number; time: number }>;
  sizes: Uint32Array;
  durations: Uint32Array;
}

/** The header read back; undefined when it does not read as one. */
export function parseMp4DecoderHeader(bytes: Uint8Array): Mp4DecoderHeader | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 22 || buf.toString('latin1', 0, 4) !== 'sdm4' || buf[4] !== 1) return undefined;
  const codec = buf[5] === 1 ? 'aac' : buf[5] === 2 ? 'alac' : undefined;
  const configLength = buf.readUInt16BE(20);
  let at = 22 + configLength;
  if (!codec || at + 4 > buf.length) return undefined;
  const config = buf.subarray(22, at);
  const blockCount = buf.readUInt32BE(at);
  at += 4;
  if (at + blockCount * 8 + 4 > buf.length) return undefined;
  const blocks = Array.from({ length: blockCount }, (_, k) => ({
    firstSample: buf.readUInt32BE(at + 8 * k),
    time: buf.readUInt32BE(at + 8 * k + 4),
  }));
  at += blockCount * 8;
  const count = buf.readUInt32BE(at);
  at += 4;
  if (at + count * 4 + 4 > buf.length) return undefined;
  const sizes = new Uint32Array(count);
  for (let i = 0; i < count; i++) sizes[i] = buf.readUInt32BE(at + 4 * i);
  at += count * 4;
  const runs = buf.readUInt32BE(at);
  at += 4;
  if (at + runs * 8 !== buf.length) return undefined;
  const durations = new Uint32Array(count);
  for (let r = 0, i = 0; r < runs; r++) {
    const [many, duration] = [buf.readUInt32BE(at + 8 * r), buf.readUInt32BE(at + 8 * r + 4)];
    if (i + many > count) return undefined;
    durations.fill(duration, i, i + many);
    i += many;
  }
  return {
    codec,
    channels: buf[6] as number,
    bits: buf[7] as number,
    sampleRate: buf.readUInt32BE(8),
    delay: buf.readUInt32BE(12),
    totalSamples: buf.readUInt32BE(16),
    config,
    blocks,
    sizes,
    durations,
  };
}
