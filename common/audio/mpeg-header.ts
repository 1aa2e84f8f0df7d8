/**
 * MPEG audio frame headers (ISO 11172-3 / 13818-3): the four bytes that give a frame's length,
 * sample rate and sample count. Pure lookups; the frame walker builds on them.
 */

export interface MpegHeader {
  /** 1, 2 or 2.5 (MPEG-2.5 is written as 25 to keep it an integer key). */
  version: 1 | 2 | 25;
  layer: 1 | 2 | 3;
  bitrateKbps: number;
  sampleRate: number;
  channels: 1 | 2;
  padding: boolean;
  crc: boolean;
  samples: number;
  frameBytes: number;
}

/** Bitrates in kbit/s by `<1 for MPEG-1, 2 for MPEG-2 and 2.5>-<layer>` and the header's index. */
const BITRATES: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};

/** The Layer III bitrates (kbit/s) a stream at `sampleRate` may use, lowest first. */
export function layer3Bitrates(sampleRate: number): readonly number[] {
  return (BITRATES[sampleRate >= 32000 ? '1-3' : '2-3'] as readonly number[]).slice(1);
}

const SAMPLE_RATES: Record<number, readonly number[]> = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  25: [11025, 12000, 8000],
};

/**
 * Reads the header at `at`, or returns undefined when those bytes are not a usable frame header
 * (no sync, reserved fields, free-format bitrate, which has no length in its header).
 *
 * @example parseMpegHeader(Buffer.from([0xff, 0xfb, 0x90, 0x64]), 0)?.frameBytes // 417
 */
export function parseMpegHeader(buf: Uint8Array, at: number): MpegHeader | undefined {
  if (at + 4 > buf.length) return undefined;
  const b1 = buf[at + 1] as number;
  const b2 = buf[at + 2] as number;
  const b3 = buf[at + 3] as number;
  if (buf[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
    return undefined;
  }
  if ((b3 & 3) === 2) return undefined; // reserved emphasis
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 25;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const bitrateKbps = (BITRATES[`${version === 1 ? 1 : 2}-${layer}`] as readonly number[])[bitrateIndex] as number;
  const sampleRate = (SAMPLE_RATES[version] as readonly number[])[rateIndex] as number;
  const padding = ((b2 >> 1) & 1) === 1;
  const samples = layer === 1 ? 384 : layer === 2 || version === 1 ? 1152 : 576;
  const bitrate = bitrateKbps * 1000;
  const frameBytes =
    layer === 1
      ? (Math.floor((12 * bitrate) / sampleRate) + (padding ? 1 : 0)) * 4
      : Math.floor(((samples / 8) * bitrate) / sampleRate) + (padding ? 1 : 0);
  return {
    version,
    layer,
    bitrateKbps,
    sampleRate,
    channels: b3 >> 6 === 3 ? 1 : 2,
    padding,
    crc: (b1 & 1) === 0,
    samples,
    frameBytes,
  };
}

/** Two headers belong to the same stream when version, layer and sample rate agree. */
export function sameStream(a: MpegHeader, b: MpegHeader): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate;
}

/**
 * A Xing, Info or VBRI frame is the first frame of many files: a valid MPEG frame whose payload
 * is a table of contents, not audio. Decoders play it as nothing, so it has no duration.
 */
export function isVbrInfoFrame(buf: Uint8Array, at: number, header: MpegHeader): boolean {
  if (header.layer !== 3) return false;
  const sideInfo = header.version === 1 ? (header.channels === 1 ? 17 : 32) : header.channels === 1 ? 9 : 17;
  const tagAt = (offset: number): string =>
    offset + 4 <= buf.length ? String.fromCharCode(...buf.subarray(offset, offset + 4)) : '';
  const xing = at + 4 + (header.crc ? 2 : 0) + sideInfo;
  const tag = tagAt(xing);
  return tag === 'Xing' || tag === 'Info' || tagAt(at + 36) === 'VBRI';
}
