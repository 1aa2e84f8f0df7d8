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
