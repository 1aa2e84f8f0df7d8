/**
 * A song as a sequence of whole MP3 frames from a point in it, for the radio: MP3 files are read
 * a block at a time and cut at frame boundaries; WAV, FLAC and Ogg files are encoded with lamejs a
 * little at a time (about a second per call: lamejs runs ~35x real time, and the event loop must
 * keep moving). M4A, and songs at a rate no MP3 has (88.2 to 192 kHz), are decoded (and
 * resampled) by the system's ffmpeg when there is one, and encoded the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import type { FLACDecoder } from '@wasm-audio-decoders/flac';
import type { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import type { OggOpusDecoder } from 'ogg-opus-decoder';
import { Mp3Encoder } from '@breezystack/lamejs';
import { blockFirstSample, blockIndexAt, samplesPerFrame } from '../../common/audio/blocks.js';
import { isVbrInfoFrame, layer3Bitrates, parseMpegHeader } from '../../common/audio/mpeg-header.js';
import { flacBlockFirstSample } from '../../common/audio/flac.js';
import { oggBlockFirstSample } from '../../common/audio/ogg.js';
import { toInt16 } from '../../common/audio/pcm.js';
import { MAX_PAYLOAD_BYTES } from '../../common/datagram/codec.js';
import { decoderHeader } from '../catalog/decoder-header.js';
import type { CatalogSong } from '../catalog/song.js';
import { openScanned } from '../catalog/open-song.js';
import { hasFfmpeg } from '../ffmpeg.js';

export interface RadioFrame {
  bytes: Buffer;
  /** Seconds into the song at which the frame starts. */
  start: number;
  /** Seconds of audio in it. */
  seconds: number;
}

export interface FrameSource {
  readonly sampleRate: number;
  readonly channels: number;
  /** Seconds of frames read ahead and not yet taken. */
  readonly buffered: number;
  /** Nothing more will come: the song's frames have all been read. */
  readonly exhausted: boolean;
  take(): RadioFrame | undefined;
  /** Reads or encodes more (about a block, or a second of WAV). */
  fill(): Promise<void>;
  close(): Promise<void>;
}

export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError';
}

/** Splits MPEG bytes into whole frames; what is left at the end waits for more bytes. */
class FrameSplitter {
  private pending = Buffer.alloc(0);
  samples = 0;

  constructor(private readonly sampleRate: number) {}

  push(bytes: Buffer, out: RadioFrame[]): void {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, bytes]) : bytes;
    let at = 0;
    while (at + 4 <= data.length) {
      const header = parseMpegHeader(data, at);
      if (!header) {
        at++; // not expected from our own reads and encoder; resynchronise rather than fail
        continue;
      }
      if (at + header.frameBytes > data.length) break;
      if (header.frameBytes > MAX_PAYLOAD_BYTES)
        throw new FrameTooLargeError(`MPEG frames of ${header.frameBytes} bytes do not fit in a datagram`);
      if (!isVbrInfoFrame(data, at, header)) {
        out.push({
          bytes: Buffer.from(data.subarray(at, at + header.frameBytes)),
          start: this.samples / this.sampleRate,
          seconds: header.samples / header.sampleRate,
        });
        this.samples += header.samples;
      }
      at += header.frameBytes;
    }
    this.pending = Buffer.from(data.subarray(at));
  }
}

abstract class QueuedSource implements FrameSource {
  protected readonly frames: RadioFrame[] = [];
  private head = 0;
  exhausted = false;

  constructor(
    readonly sampleRate: number,
    readonly channels: number,
  ) {}

  /** Kept as frames come and go: read every tick, so not summed anew each time. */
  buffered = 0;

  protected queue(frames: RadioFrame[]): void {
    for (const frame of frames) {
      this.frames.push(frame);
      this.buffered += frame.seconds;
    }
  }

  take(): RadioFrame | undefined {
    const frame = this.frames[this.head];
    if (frame === undefined) return undefined;
    this.head++;
    this.buffered = this.head === this.frames.length ? 0 : this.buffered - frame.seconds;
    if (this.head > 256) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
    return frame;
  }

  abstract fill(): Promise<void>;
  abstract close(): Promise<void>;
}

class Mp3Source extends QueuedSource {
  private block: number;
  private readonly splitter: FrameSplitter;

  constructor(
    private readonly song: CatalogSong,
    private readonly handle: FileHandle,
    private readonly from: number,
  ) {
    super(song.info.sampleRate, song.info.channels);
    this.block = blockIndexAt(from, song.blocks.length);
    this.splitter = new FrameSplitter(song.info.sampleRate);
    // The splitter counts samples from the first frame of the block it starts at.
    this.splitter.samples = blockFirstSample(
      this.block,
      song.info.sampleRate,
      samplesPerFrame('mp3', song.info.sampleRate),
    );
  }

  async fill(): Promise<void> {
    const span = this.song.blocks[this.block];
    if (!span) {
      this.exhausted = true;
      return;
    }
    this.block++;
    const bytes = Buffer.allocUnsafe(span.length);
    const { bytesRead } = await this.handle.read(bytes, 0, span.length, span.offset);
    const frames: RadioFrame[] = [];
    this.splitter.push(bytes.subarray(0, bytesRead), frames);
    this.queue(frames.filter((frame) => frame.start + frame.seconds > this.from));
    if (this.block >= this.song.blocks.length || bytesRead < span.length) this.exhausted = true;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** The highest standard bitrate not above `wanted` whose frames fit in one datagram. */
function fittingKbps(wanted: number, sampleRate: number): number {
  const mpeg1 = sampleRate >= 32000;
  const rates = layer3Bitrates(sampleRate);
  const frameBytes = (kbps: number): number => Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / sampleRate) + 1;
  return rates.filter((kbps) => kbps <= wanted && frameBytes(kbps) <= MAX_PAYLOAD_BYTES).at(-1) ?? (rates[0] as number);
}

/** About this much sound is read and encoded at a time. */
const ENCODE_STEP_SECONDS = 1;

/** A song encoded to MP3 by lamejs as it is read, a step at a time: its PCM comes from `readPcm`. */
abstract class EncodedSource extends QueuedSource {
  private readonly encoder: InstanceType<typeof Mp3Encoder>;
  private readonly splitter: FrameSplitter;

  /** `rate`: of the PCM `readPcm` gives (the song's, unless resampled). */
  constructor(song: CatalogSong, kbps: number, startSample: number, rate = song.info.sampleRate) {
    const channels = song.info.channels === 1 ? 1 : 2;
    super(rate, channels);
    this.encoder = new Mp3Encoder(channels, rate, fittingKbps(kbps, rate));
    this.splitter = new FrameSplitter(rate);
    this.splitter.samples = startSample;
  }

  /** The next step's sound, as 16-bit channels (the second absent for mono); undefined at the end. */
  protected abstract readPcm(): Promise<[Int16Array, Int16Array | undefined] | undefined>;

  async fill(): Promise<void> {
    if (this.exhausted) return;
    const frames: RadioFrame[] = [];
    const pcm = await this.readPcm();
    if (!pcm) {
      this.exhausted = true;
      this.splitter.push(Buffer.from(this.encoder.flush()), frames);
    } else {
      const [left, right] = pcm;
      const mp3 = right ? this.encoder.encodeBuffer(left, right) : this.encoder.encodeBuffer(left);
      this.splitter.push(Buffer.from(mp3.buffer, mp3.byteOffset, mp3.byteLength), frames);
    }
    this.queue(frames);
  }
}

class WavSource extends EncodedSource {
  private position: number;
  private readonly end: number;
  private readonly frameBytes: number;

  constructor(
    private readonly song: CatalogSong,
    private readonly handle: FileHandle,
    from: number,
    kbps: number,
  ) {
    const startFrame = Math.floor(from * song.info.sampleRate);
    super(song, kbps, startFrame);
    this.frameBytes = ((song.info.bits ?? 16) / 8) * song.info.channels;
    const first = song.blocks[0];
    const last = song.blocks.at(-1);
    const dataStart = first?.offset ?? 0;
    this.end = last ? last.offset + last.length : dataStart;
    this.position = Math.min(this.end, dataStart + startFrame * this.frameBytes);
  }

  protected async readPcm(): Promise<[Int16Array, Int16Array | undefined] | undefined> {
    const want = Math.min(
      this.end - this.position,
      Math.floor(ENCODE_STEP_SECONDS * this.song.info.sampleRate) * this.frameBytes,
    );
    if (want <= 0) return undefined;
    const bytes = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.handle.read(bytes, 0, want, this.position);
    this.position += bytesRead;
    if (bytesRead === 0) this.position = this.end;
    return this.toChannels(bytes.subarray(0, bytesRead - (bytesRead % this.frameBytes)));
  }

  /** 8-, 16-, 24- or 32-bit interleaved PCM to 16-bit channel arrays (more than two channels: the first two). */
  private toChannels(pcm: Buffer): [Int16Array, Int16Array | undefined] {
    const bits = this.song.info.bits ?? 16;
    const width = bits / 8;
    const count = pcm.length / this.frameBytes;
    const left = new Int16Array(count);
    const right = this.channels === 2 ? new Int16Array(count) : undefined;
    for (let i = 0; i < count; i++) {
      const at = i * this.frameBytes;
      left[i] = bits === 8 ? ((pcm[at] as number) - 128) << 8 : pcm.readInt16LE(at + width - 2);
      if (right) right[i] = bits === 8 ? ((pcm[at + 1] as number) - 128) << 8 : pcm.readInt16LE(at + 2 * width - 2);
    }
    return [left, right];
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** A WebAssembly decoder of the mpg123-decoder family: FLAC's, Ogg Vorbis's, Ogg Opus's. */
interface PagedDecoder {
  /** ogg-opus-decoder's types say it answers at once; it answers through a promise, as the others do. */
  decode(
    bytes: Uint8Array,
  ):
    | Promise<{ channelData: Float32Array[]; samplesDecoded: number }>
    | { channelData: Float32Array[]; samplesDecoded: number };
  flush(): Promise<{ channelData: Float32Array[]; samplesDecoded: number }>;
  free(): void;
}

/**
 * FLAC, Ogg Vorbis or Opus decoded (in WebAssembly, as the player decodes them) from the frame or
 * page that starts the block holding `from`, after the song's decoder header; the samples before
 * `from` dropped, then encoded as WAV's PCM is.
 */
class HeaderedSource extends EncodedSource {
  private block: number;
  private position: number;
  private readonly end: number;
  /** Samples still to drop before `from`: known once the block's first frame is read. */
  private skip: number | undefined;

  private constructor(
    private readonly song: CatalogSong,
    private readonly handle: FileHandle,
    private readonly decoder: PagedDecoder,
    private readonly header: Buffer,
    private readonly from: number,
    kbps: number,
    /** Where the sound of a block from the middle starts, from its first bytes. */
    private readonly firstSample: (header: Buffer, block: Uint8Array) => number | undefined,
  ) {
    super(song, kbps, Math.floor(from * song.info.sampleRate));
    this.block = blockIndexAt(from, song.blocks.length);
    const span = song.blocks[this.block];
    const last = song.blocks.at(-1);
    this.position = span?.offset ?? 0;
    this.end = last ? last.offset + last.length : this.position;
  }

  static async open(song: CatalogSong, handle: FileHandle, from: number, kbps: number): Promise<HeaderedSource> {
    const header = await decoderHeader(song);
    const made: FLACDecoder | OggOpusDecoder | OggVorbisDecoder =
      song.info.format === 'flac'
        ? new (await import('@wasm-audio-decoders/flac')).FLACDecoder()
        : song.info.format === 'opus'
          ? new (await import('ogg-opus-decoder')).OggOpusDecoder()
          : new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder();
    await made.ready;
    const decoder: PagedDecoder = made;
    try {
      await decoder.decode(header);
    } catch (error) {
      decoder.free(); // its WebAssembly memory is not the garbage collector's
      throw error;
    }
    const firstSample = song.info.format === 'flac' ? flacBlockFirstSample : oggBlockFirstSample;
    return new HeaderedSource(song, handle, decoder, header, from, kbps, firstSample);
  }

  protected async readPcm(): Promise<[Int16Array, Int16Array | undefined] | undefined> {
    for (;;) {
      const rate = this.song.info.sampleRate;
      // A second of CD-quality FLAC is about 100 KiB.
      const want = Math.min(this.end - this.position, Math.ceil(ENCODE_STEP_SECONDS * rate * this.song.info.channels));
      let out;
      if (want > 0) {
        const bytes = Buffer.allocUnsafe(want);
        const { bytesRead } = await this.handle.read(bytes, 0, want, this.position);
        if (this.skip === undefined) {
          const first = this.firstSample(this.header, bytes.subarray(0, bytesRead)) ?? 0;
          this.skip = Math.max(0, Math.floor(this.from * rate) - first);
        }
        this.position = bytesRead === 0 ? this.end : this.position + bytesRead;
        out = await this.decoder.decode(bytes.subarray(0, bytesRead));
      } else if (this.position <= this.end) {
        this.position = this.end + 1; // the decoder's last frame, once
        out = await this.decoder.flush();
      } else return undefined;
      const drop = Math.min(this.skip ?? 0, out.samplesDecoded);
      this.skip = (this.skip ?? 0) - drop;
      if (out.samplesDecoded - drop === 0) continue;
      const channel = (index: number): Int16Array => {
        const data = (out.channelData[index] ?? out.channelData[0]) as Float32Array;
        const samples = new Int16Array(out.samplesDecoded - drop);
        for (let i = 0; i < samples.length; i++) samples[i] = toInt16(data[i + drop] as number);
        return samples;
      };
      return [channel(0), this.channels === 2 ? channel(1) : undefined];
    }
  }

  async close(): Promise<void> {
    this.decoder.free();
    await this.handle.close();
  }
}

/**
 * A song decoded by the system's ffmpeg from `from` on, to 16-bit PCM at `rate`: M4A (the daemon
 * has no AAC or ALAC decoder of its own), and songs at a rate no MP3 has. ffmpeg reads the
 * descriptor that was checked to be the scanned file (as /dev/stdin, so that it can seek).
 */
class FfmpegSource extends EncodedSource {
  private readonly child: ChildProcess;
  private readonly output: AsyncIterator<Buffer>;
  private carry: Buffer = Buffer.alloc(0);
  private readonly frameBytes: number;
  private stderr = '';

  constructor(
    song: CatalogSong,
    private readonly handle: FileHandle,
    from: number,
    kbps: number,
    private readonly rate: number,
  ) {
    super(song, kbps, Math.floor(from * rate), rate);
    this.frameBytes = 2 * this.channels;
    this.child = spawn(
      'ffmpeg',
      [
        ...['-nostdin', '-v', 'error', '-ss', from.toFixed(6), '-i', '/dev/stdin', '-map', '0:a:0'],
        ...['-ac', String(this.channels), '-ar', String(rate), '-f', 's16le', '-'],
      ],
      { stdio: [handle.fd, 'pipe', 'pipe'] },
    );
    this.child.stderr
      ?.setEncoding('utf8')
      .on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-300)));
    this.child.on('error', () => {}); // no ffmpeg: its output ends at once, and readPcm says so
    this.output = (this.child.stdout as NodeJS.ReadableStream)[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  protected async readPcm(): Promise<[Int16Array, Int16Array | undefined] | undefined> {
    const want = Math.floor(ENCODE_STEP_SECONDS * this.rate) * this.frameBytes;
    while (this.carry.length < want) {
      const next = await this.output.next();
      if (next.done) break;
      this.carry = this.carry.length ? Buffer.concat([this.carry, next.value]) : next.value;
    }
    const usable = Math.min(want, this.carry.length - (this.carry.length % this.frameBytes));
    if (usable === 0) {
      if (this.child.exitCode !== 0 && this.child.exitCode !== null)
        throw new Error(`ffmpeg could not decode it: ${this.stderr.trim() || `exit ${this.child.exitCode}`}`);
      return undefined;
    }
    const pcm = Buffer.from(this.carry.subarray(0, usable)); // aligned for the Int16Array
    this.carry = this.carry.subarray(usable);
    const count = usable / this.frameBytes;
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, count * this.channels);
    const left = new Int16Array(count);
    const right = this.channels === 2 ? new Int16Array(count) : undefined;
    for (let i = 0; i < count; i++) {
      left[i] = samples[i * this.channels] as number;
      if (right) right[i] = samples[i * 2 + 1] as number;
    }
    return [left, right];
  }

  async close(): Promise<void> {
    this.child.kill('SIGKILL'); // SIGTERM would have it finish the song first
    await this.handle.close();
  }
}

/** The rates an MP3 can have: a song at another (96 kHz, say) is resampled by ffmpeg first. */
const MP3_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** The MP3 rate a song at `rate` is resampled to: 44.1 kHz for its multiples, else 48 kHz. */
const mp3RateFor = (rate: number): number => (MP3_RATES.includes(rate) ? rate : rate % 11025 === 0 ? 44100 : 48000);

/**
 * Why the radio cannot carry `song`, or undefined when it can: every MP3, WAV, FLAC, Vorbis and
 * Opus at a rate an MP3 can have; M4A and other rates through ffmpeg, when it is installed.
 */
export function radioRefusal(song: CatalogSong): string | undefined {
  if (hasFfmpeg()) return undefined;
  if (song.info.format === 'm4a') return 'the radio carries M4A through ffmpeg, which is not installed';
  if (!MP3_RATES.includes(song.info.sampleRate))
    return `the radio carries ${song.info.sampleRate} Hz through ffmpeg (to resample it), which is not installed`;
  return undefined;
}

export const radioCarries = (song: CatalogSong): boolean => radioRefusal(song) === undefined;

/** Opens `song` for the radio at `from` seconds (the first frame that ends after it). */
export async function openFrameSource(song: CatalogSong, from: number, encodeKbps: number): Promise<FrameSource> {
  const handle = await openScanned(song.path, song.stamp, song.info.file);
  try {
    const refusal = radioRefusal(song);
    if (refusal) throw new Error(refusal);
    if (song.info.format === 'm4a' || !MP3_RATES.includes(song.info.sampleRate))
      return new FfmpegSource(song, handle, from, encodeKbps, mp3RateFor(song.info.sampleRate));
    switch (song.info.format) {
      case 'mp3':
        return new Mp3Source(song, handle, from);
      case 'wav':
        return new WavSource(song, handle, from, encodeKbps);
      case 'flac':
      case 'ogg':
      case 'opus':
        return await HeaderedSource.open(song, handle, from, encodeKbps);
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
}
