/**
 * RIFF/WAVE layout: the PCM format and where the `data` chunk is, read from the start of the
 * file. Blocks are 30 s of whole sample frames (docs/protocol.md, Downloads).
 */
import { BLOCK_SECONDS } from '../limits.js';
import { BlockBuilder, type BlockSpan } from './blocks.js';

export interface WavLayout {
  sampleRate: number;
  channels: number;
  bits: number;
  /** Bytes of one sample frame (all channels). */
  blockAlign: number;
  dataOffset: number;
  /** Bytes of whole sample frames in the data chunk that the file really holds. */
  dataBytes: number;
  /** What the data chunk's header claims; more than `dataBytes` when the file was cut off. */
  claimedBytes: number;
  duration: number;
}

export type WavResult = { ok: true; layout: WavLayout } | { ok: false; reason: string };

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Reads the layout from the file's first bytes (`head`) and its full size.
 *
 * @example parseWav(await readHead(path), size) // { ok: true, layout: { sampleRate: 44100, ... } }
 */
export function parseWav(head: Buffer, fileSize: number): WavResult {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
    return { ok: false, reason: 'not a RIFF/WAVE file' };
  }
  let format: Omit<WavLayout, 'dataOffset' | 'dataBytes' | 'claimedBytes' | 'duration'> | undefined;
  let at = 12;
  while (at + 8 <= head.length) {
    const id = head.toString('latin1', at, at + 4);
    const size = head.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + 16 > head.length) return { ok: false, reason: 'fmt chunk cut off' };
      let tag = head.readUInt16LE(body);
      if (tag === WAVE_FORMAT_EXTENSIBLE && body + 26 <= head.length) tag = head.readUInt16LE(body + 24);
      const channels = head.readUInt16LE(body + 2);
      const sampleRate = head.readUInt32LE(body + 4);
      const blockAlign = head.readUInt16LE(body + 12);
      const bits = head.readUInt16LE(body + 14);
      if (tag !== WAVE_FORMAT_PCM) return { ok: false, reason: `format ${tag} is not integer PCM` };
      if (![8, 16, 24, 32].includes(bits) || channels < 1 || channels > 8 || sampleRate < 1000) {
        return { ok: false, reason: `unsupported PCM: ${bits} bits, ${channels} channels, ${sampleRate} Hz` };
      }
      if (blockAlign !== (channels * bits) / 8) return { ok: false, reason: 'block align disagrees with the format' };
      format = { sampleRate, channels, bits, blockAlign };
    } else if (id === 'data') {
      if (!format) return { ok: false, reason: 'data chunk before fmt chunk' };
      // A streamed WAV may say 0 or 0xffffffff: the data then runs to the end of the file.
      const claimed = size === 0 || size === 0xffffffff ? fileSize - body : size;
      const present = Math.max(0, Math.min(claimed, fileSize - body));
      const dataBytes = present - (present % format.blockAlign);
      if (dataBytes === 0) return { ok: false, reason: 'no audio data' };
      const duration = dataBytes / format.blockAlign / format.sampleRate;
      return { ok: true, layout: { ...format, dataOffset: body, dataBytes, claimedBytes: claimed, duration } };
    }
    at = body + size + (size & 1);
  }
  return { ok: false, reason: format ? 'no data chunk' : 'no fmt chunk' };
}

export function wavBlocks(layout: WavLayout, blockSeconds?: number): BlockSpan[] {
  const blocks = new BlockBuilder(layout.sampleRate, blockSeconds);
  const frames = layout.dataBytes / layout.blockAlign;
  const framesPerBlock = (blockSeconds ?? BLOCK_SECONDS) * layout.sampleRate;
  for (let frame = 0; frame < frames; frame += framesPerBlock) {
    blocks.frame(layout.dataOffset + frame * layout.blockAlign, frame);
  }
  return blocks.finish(layout.dataOffset + layout.dataBytes, frames);
}
