/** Writing synthesized PCM as files: MP3 through lamejs, WAV by hand (a 44-byte header). */
import { Mp3Encoder } from '@breezystack/lamejs';
import type { Pcm } from './synth.js';

/** lamejs wants its input in pieces of a multiple of 576 samples. */
const ENCODE_CHUNK = 1152 * 8;

/**
 * Encodes PCM to a constant-bitrate MP3 (no tags).
 *
 * @example encodeMp3(pcm, 128) // Buffer of MPEG frames
 */
export function encodeMp3(pcm: Pcm, kbps: number): Buffer {
  const [left, right] = pcm.channels as [Int16Array, Int16Array | undefined];
  const encoder = new Mp3Encoder(pcm.channels.length, pcm.sampleRate, kbps);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < left.length; i += ENCODE_CHUNK) {
    const l = left.subarray(i, i + ENCODE_CHUNK);
    parts.push(right ? encoder.encodeBuffer(l, right.subarray(i, i + ENCODE_CHUNK)) : encoder.encodeBuffer(l));
  }
  parts.push(encoder.flush());
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** Interleaves channels into little-endian 16-bit PCM. */
export function interleave(pcm: Pcm): Buffer {
  const frames = (pcm.channels[0] as Int16Array).length;
  const channels = pcm.channels.length;
  const out = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++)
      out.writeInt16LE((pcm.channels[c] as Int16Array)[i] as number, (i * channels + c) * 2);
  }
  return out;
}

/** A canonical 16-bit PCM WAV file. */
export function encodeWav(pcm: Pcm): Buffer {
  const data = interleave(pcm);
  const channels = pcm.channels.length;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(pcm.sampleRate, 24);
  header.writeUInt32LE(pcm.sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
