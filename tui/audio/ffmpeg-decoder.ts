/**
 * M4A (AAC-LC, ALAC) decoded by the system's ffmpeg, as MPD decodes them through libavcodec: no
 * maintained decoder of either is in the registry (docs/benchmarks.md, Decoding speed). The
 * song's samples are cut out of its blocks with the sample table of its decoder header, put in a
 * Matroska stream (the codec's configuration in its track) and piped to one ffmpeg per song, whose
 * PCM comes back on its standard output. ffmpeg is looked for on the PATH; a player without it
 * lists M4A songs as not playable.
 */
import { AAC_FRAME_SAMPLES, plainAacConfig, silentAacFrame } from '../../common/audio/aac.js';
import { MatroskaWriter } from '../../common/audio/matroska-writer.js';
import { parseMp4DecoderHeader, type Mp4DecoderHeader } from '../../common/audio/mp4.js';
import { DecoderProcess, FIRST_ANSWER_SECONDS, makeSpare, onPath, type WarmUp } from './decoder-process.js';

/** Whether an `ffmpeg` is on the PATH (looked at once). */
export const hasFfmpeg = (): boolean => onPath('ffmpeg');

/** Where the sound of block `index` starts, in samples of the song (before it for block 0: the encoder delay). */
export function m4aBlockSoundStart(header: Uint8Array, index: number): number | undefined {
  const table = parseMp4DecoderHeader(header);
  const block = table?.blocks[index];
  return table && block ? block.time - table.delay : undefined;
}

/** The ffmpeg of one song: a Matroska stream in, PCM of `channels` and `bits` out. */
const ffmpegCommand = (channels: 1 | 2, bits: 16 | 32): string[] => [
  'ffmpeg',
  // Probing off: the track says everything, and probing would wait for seconds of input.
  ...['-hide_banner', '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0'],
  ...['-f', 'matroska', '-i', 'pipe:0', '-ac', String(channels), '-f', `s${bits}le`, '-flush_packets', '1', 'pipe:1'],
];

/** Whether an M4A song was played: its ffmpeg's spares follow it from then on. */
let played = false;

/**
 * An ffmpeg started ahead of the first M4A song, given nothing yet (the song's head is not known):
 * a process takes 70-140 ms to start here, most of it loading its libraries.
 */
export function warmUpFfmpeg(): void {
  if (!played && hasFfmpeg()) makeSpare(ffmpegCommand(2, 16));
}

/** Frames ffmpeg may hold before its answer is waited for: the demuxer and decoder each keep about one. */
const FRAMES_IN_FLIGHT = 3;

export class FfmpegDecoder {
  private readonly process: DecoderProcess;
  private readonly writer: MatroskaWriter;
  /** Frames handed to ffmpeg. */
  private framesIn = 0;
  /** Frames still to give: the song's end, past which the encoder's padding is not sound. */
  private left: number;
  /** The next sample of the table, and the bytes of it come so far. */
  private sample: number;
  private carry = Buffer.alloc(0);
  /** The samples up to ffmpeg's first answer and the frames it holds back, in bytes (PcmDecoder's). */
  readonly firstPieceBytes: number;

  private constructor(
    private readonly table: Mp4DecoderHeader,
    firstBlock: number,
    channels: 1 | 2,
    bits: 16 | 32,
    signal: AbortSignal | undefined,
  ) {
    const block = table.blocks[firstBlock] ?? { firstSample: 0, time: 0 };
    this.sample = block.firstSample;
    this.left = Math.max(0, table.delay + table.totalSamples - block.time);
    this.writer = new MatroskaWriter({
      codecId: table.codec === 'aac' ? 'A_AAC' : 'A_ALAC',
      codecPrivate: table.config,
      sampleRate: table.sampleRate,
      channels: table.channels,
      ...(table.codec === 'alac' ? { bits: table.bits } : {}),
    });
    let pieceFrames = 0;
    let pieceBytes = 0;
    const answerFrames = this.firstFrames() + (FRAMES_IN_FLIGHT + 1) * (table.durations[0] ?? AAC_FRAME_SAMPLES);
    for (let sample = this.sample; pieceFrames < answerFrames && sample < table.sizes.length; sample++) {
      pieceFrames += table.durations[sample] as number;
      pieceBytes += table.sizes[sample] as number;
    }
    this.firstPieceBytes = Math.max(1, pieceBytes); // a piece of nothing would never move on
    const frameBytes = (bits / 8) * channels;
    const head = this.writer.head();
    const warmUp = this.warmUp(head, frameBytes);
    this.process = new DecoderProcess(ffmpegCommand(channels, bits), frameBytes, signal, warmUp);
    if (!warmUp) void this.process.write(head);
  }

  /**
   * For plain AAC-LC, the stream's head and a silent frame (common/audio/aac.ts): a spare given
   * both ahead has done ffmpeg's setup, and the same bytes make the same spare for the next song
   * of the kind. Undefined (the head written with the song) for SBR found in the frames without
   * being signalled (each frame's 1024 samples last 2048 of the track's: the silent frame would
   * have ffmpeg decide against it), and for ALAC: its setup is quick, and its head holds the
   * song's own sizes, so that no spare given one would serve the next song.
   */
  private warmUp(head: Buffer, frameBytes: number): WarmUp | undefined {
    const plain = this.table.codec === 'aac' ? plainAacConfig(this.table.config) : undefined;
    if (
      !plain ||
      plain.sampleRate !== this.table.sampleRate ||
      plain.channels !== this.table.channels ||
      this.table.durations[0] !== AAC_FRAME_SAMPLES
    )
      return undefined;
    const silence = this.writer.frame(silentAacFrame(plain.channels), AAC_FRAME_SAMPLES);
    return { input: Buffer.concat([head, silence]), outputBytes: AAC_FRAME_SAMPLES * frameBytes };
  }

  /** `channels`: what the output takes; ffmpeg folds more to it. `bits`: 32 for a 24-bit ALAC to a sink that takes it. */
  static open(
    header: Uint8Array,
    firstBlock: number,
    channels: 1 | 2,
    signal?: AbortSignal,
    bits: 16 | 32 = 16,
  ): FfmpegDecoder {
    const table = parseMp4DecoderHeader(header);
    if (!table) throw new Error('the M4A decoder header does not read');
    played = true;
    return new FfmpegDecoder(table, firstBlock, channels, bits, signal);
  }

  /** The song's next bytes: their whole samples go to ffmpeg; what it has decoded so far comes back. */
  async decode(bytes: Uint8Array): Promise<Buffer> {
    let data = this.carry.length ? Buffer.concat([this.carry, bytes]) : Buffer.from(bytes);
    const frames: Buffer[] = [];
    for (;;) {
      const size = this.table.sizes[this.sample];
      if (size === undefined || data.length < size) break;
      frames.push(this.writer.frame(data.subarray(0, size), this.table.durations[this.sample] as number));
      this.framesIn += this.table.durations[this.sample] as number;
      data = data.subarray(size);
      this.sample++;
    }
    this.carry = Buffer.from(data);
    if (frames.length) {
      await this.process.write(Buffer.concat(frames));
      await this.process.answer(
        this.framesIn - FRAMES_IN_FLIGHT * (this.table.durations[0] ?? 1024),
        this.firstFrames(),
      );
    }
    return this.take(this.firstFrames());
  }

  /** Frames out of ffmpeg before the first sound is given: the encoder delay, then FIRST_ANSWER_SECONDS of sound. */
  private firstFrames(): number {
    return this.table.delay + FIRST_ANSWER_SECONDS * this.table.sampleRate;
  }

  /** The rest, once ffmpeg has decoded all it was given. */
  async end(): Promise<Buffer> {
    await this.process.end();
    return this.take(0);
  }

  free(): void {
    this.process.free();
  }

  /** What ffmpeg gave back, up to the song's end. */
  private take(firstFrames: number): Buffer {
    const pcm = this.process.take(firstFrames, this.left);
    this.left -= pcm.length / this.process.frameBytes;
    return pcm;
  }
}
