/**
 * Measures the loudness of songs that carry no ReplayGain tags (EBU R128, common/audio/loudness.ts)
 * by decoding what the daemon serves: the decoder header, then every block. MP3 through
 * mpg123-decoder, FLAC, Vorbis and Opus through the WebAssembly decoders the player uses, WAV as it
 * is, M4A through the system's ffmpeg when there is one. Runs in a worker thread of its own
 * (loudness-worker.ts): a song is seconds of CPU.
 */
import { spawn } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { integratedLoudness, LoudnessMeter, REPLAY_GAIN_REFERENCE_LUFS } from '../../common/audio/loudness.js';
import { hasFfmpeg } from '../ffmpeg.js';
import { isTransient } from './analyze.js';
import { decoderHeader } from './decoder-header.js';
import { openSongFile } from './block-reader.js';
import type { AlbumLoudness, CatalogSong } from './song.js';

/** Decoded float channels, as the WebAssembly decoders give them. */
interface Decoded {
  channelData: Float32Array[];
  samplesDecoded: number;
}

interface FloatDecoder {
  decode(bytes: Uint8Array): Decoded | Promise<Decoded>;
  flush?(): Promise<Decoded>;
  free(): void;
}

const READ_BYTES = 256 * 1024;

/** Gains are kept to the hundredth of a dB, as taggers write them. */
const hundredths = (value: number): number => Math.round(value * 100) / 100;

/** WAV's integer PCM (8-bit unsigned, 16 to 32 bits signed) as float channels. */
class WavFloats implements FloatDecoder {
  private carry = Buffer.alloc(0);
  constructor(
    private readonly bits: number,
    private readonly channels: number,
  ) {}

  decode(bytes: Uint8Array): Decoded {
    const data = this.carry.length ? Buffer.concat([this.carry, bytes]) : Buffer.from(bytes);
    const width = this.bits / 8;
    const frame = width * this.channels;
    const frames = Math.floor(data.length / frame);
    this.carry = Buffer.from(data.subarray(frames * frame));
    const channelData = Array.from({ length: Math.min(this.channels, 2) }, (_, c) => {
      const out = new Float32Array(frames);
      for (let i = 0; i < frames; i++) {
        const at = i * frame + c * width;
        out[i] =
          this.bits === 8 ? ((data[at] as number) - 128) / 128 : data.readIntLE(at, width) / 2 ** (this.bits - 1);
      }
      return out;
    });
    return { channelData, samplesDecoded: frames };
  }

  free(): void {}
}

/** The song's decoder: WAV as it is, the others in WebAssembly (each loaded with its first song); M4A goes to ffmpeg instead. */
async function floatDecoder(song: CatalogSong): Promise<FloatDecoder> {
  const format = song.info.format;
  if (format === 'wav' || format === 'm4a') return new WavFloats(song.info.bits ?? 16, song.info.channels);
  const made =
    format === 'mp3'
      ? new (await import('mpg123-decoder')).MPEGDecoder({ enableGapless: true })
      : format === 'flac'
        ? new (await import('@wasm-audio-decoders/flac')).FLACDecoder()
        : format === 'opus'
          ? new (await import('ogg-opus-decoder')).OggOpusDecoder()
          : new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder();
  await made.ready;
  return made;
}

class OutOfTime extends Error {}

/** Feeds the song's decoder header and blocks through its decoder into `meter`. */
async function measureDecoded(song: CatalogSong, handle: FileHandle, meter: LoudnessMeter, deadline: number) {
  const decoder = await floatDecoder(song);
  const feed = (out: Decoded): void => meter.add(out.channelData, out.samplesDecoded);
  try {
    const header = await decoderHeader(song);
    if (header.length > 0) feed(await decoder.decode(header));
    const first = song.blocks[0];
    const last = song.blocks.at(-1);
    if (!first || !last) return;
    const end = last.offset + last.length;
    for (let position = first.offset; position < end;) {
      if (Date.now() > deadline) throw new OutOfTime();
      const want = Math.min(READ_BYTES, end - position);
      const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(want), 0, want, position);
      if (bytesRead === 0) throw new Error('the file is shorter than when it was scanned');
      position += bytesRead;
      feed(await decoder.decode(buffer.subarray(0, bytesRead)));
    }
    if (decoder.flush) feed(await decoder.flush());
  } finally {
    decoder.free(); // WebAssembly memory is not the garbage collector's
  }
}

/**
 * M4A through ffmpeg, reading the descriptor that was checked to be the scanned file (as
 * /dev/stdin, so that ffmpeg can seek to a sample table at the end). First two channels, as played.
 */
function measureWithFfmpeg(song: CatalogSong, handle: FileHandle, meter: LoudnessMeter, deadline: number) {
  return new Promise<void>((resolve, reject) => {
    const channels = Math.min(song.info.channels, 2);
    const child = spawn(
      'ffmpeg',
      ['-nostdin', '-v', 'error', '-i', '/dev/stdin', '-map', '0:a:0', '-ac', String(channels), '-f', 'f32le', '-'],
      { stdio: [handle.fd, 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
    let carry = Buffer.alloc(0);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-500)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const frames = Math.floor(data.length / (4 * channels));
      carry = Buffer.from(data.subarray(frames * 4 * channels));
      const samples = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + frames * 4 * channels));
      const channelData = Array.from({ length: channels }, (_, c) => {
        const out = new Float32Array(frames);
        for (let i = 0; i < frames; i++) out[i] = samples[i * channels + c] as number;
        return out;
      });
      meter.add(channelData, frames);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`ffmpeg could not start (${error.message}); M4A loudness needs it`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && Date.now() >= deadline) reject(new OutOfTime());
      else if (code === 0) resolve();
      else reject(new Error(`ffmpeg failed (${signal ?? code}): ${stderr.trim() || 'no reason given'}`));
    });
  });
}

/**
 * Measures `songs` (one album, or one song alone): each one's loudness and peak, and the album's
 * when `asAlbum` and every song could be measured. A song that takes longer than `budgetMs`, or that
 * cannot be decoded, has its reason instead.
 */
export async function measureLoudness(
  songs: readonly CatalogSong[],
  asAlbum: boolean,
  budgetMs: number,
): Promise<AlbumLoudness> {
  const meters: LoudnessMeter[] = [];
  const tracks: AlbumLoudness['tracks'] = [];
  for (const song of songs) {
    const meter = new LoudnessMeter(song.info.sampleRate, song.info.channels);
    const deadline = Date.now() + budgetMs;
    try {
      if (song.info.format === 'm4a' && !hasFfmpeg())
        throw new Error('M4A is measured through ffmpeg, which is not installed');
      const handle = await openSongFile(song);
      try {
        if (song.info.format === 'm4a') await measureWithFfmpeg(song, handle, meter, deadline);
        else await measureDecoded(song, handle, meter, deadline);
      } finally {
        await handle.close();
      }
      const loudness = meter.loudness();
      if (loudness === -Infinity) tracks.push({ reason: 'silent' });
      else {
        meters.push(meter);
        tracks.push({ gain: hundredths(REPLAY_GAIN_REFERENCE_LUFS - loudness), peak: meter.peak() });
      }
    } catch (error) {
      const reason =
        error instanceof OutOfTime ? `took longer than ${budgetMs / 1000} s to measure` : (error as Error).message;
      // Out of descriptors is not the song's fault (the cause is kept under the io_error of openSongFile).
      const transient = isTransient(error) || isTransient((error as { cause?: unknown }).cause);
      tracks.push(transient ? { reason, transient } : { reason });
    }
  }
  if (!asAlbum || meters.length !== songs.length) return { tracks };
  const album = integratedLoudness(meters.map((meter) => meter.blocks()));
  const peak = Math.max(...meters.map((meter) => meter.peak()));
  return { tracks, album: { gain: hundredths(REPLAY_GAIN_REFERENCE_LUFS - album), peak } };
}
