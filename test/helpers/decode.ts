/** Decoding for tests: mpg123-decoder (WASM) in process, and Debian's mpg123 as a second decoder. */
import { execFileSync } from 'node:child_process';
import { MPEGDecoder } from 'mpg123-decoder';

/** Decodes MPEG audio to interleaved float samples, gapless trimming off so block joins stay comparable. */
export async function decodeMp3(bytes: Uint8Array): Promise<{ samples: Float32Array[]; sampleRate: number }> {
  const decoder = new MPEGDecoder({ enableGapless: false });
  await decoder.ready;
  try {
    const out = decoder.decode(bytes);
    return { samples: out.channelData.map((c) => Float32Array.from(c)), sampleRate: out.sampleRate };
  } finally {
    decoder.free();
  }
}

/**
 * 16-bit PCM from the mpg123 command-line decoder (no resampling, raw to stdout). Gapless by
 * default, as mpg123 plays: LAME's encoder delay and padding trimmed; `gapless: false` keeps every
 * decoded sample (block joins compare that way).
 */
export function mpg123Pcm(file: string, gapless = false): Buffer {
  return execFileSync('mpg123', ['-q', ...(gapless ? [] : ['--no-gapless']), '-s', file], {
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Raw little-endian PCM of a WAV file's data as sox reads it. */
export function soxPcm(file: string): Buffer {
  return execFileSync('sox', [file, '-t', 'raw', '-'], { maxBuffer: 256 * 1024 * 1024 });
}

/**
 * An Ogg Vorbis or Opus stream decoded by the libraries the player uses (libvorbis, libopus in
 * WebAssembly), first channel only, as the decoder gives it: from its start, pre-skip and end trimmed.
 */
export async function decodeOgg(codec: 'ogg' | 'opus', ...pieces: Uint8Array[]): Promise<Float32Array> {
  const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
  const { OggOpusDecoder } = await import('ogg-opus-decoder');
  const decoder = codec === 'opus' ? new OggOpusDecoder() : new OggVorbisDecoder();
  await decoder.ready;
  try {
    const outs = [];
    for (const piece of pieces) outs.push(await decoder.decode(piece));
    outs.push(await decoder.flush());
    const left = new Float32Array(outs.reduce((sum, out) => sum + out.samplesDecoded, 0));
    let at = 0;
    for (const out of outs) {
      if (out.samplesDecoded) left.set((out.channelData[0] as Float32Array).subarray(0, out.samplesDecoded), at);
      at += out.samplesDecoded;
    }
    return left;
  } finally {
    decoder.free();
  }
}
