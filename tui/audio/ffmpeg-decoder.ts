/**
 * M4A (AAC-LC, ALAC) decoded by the system's ffmpeg, as MPD decodes them through libavcodec: no
 * maintained decoder of either is in the registry (docs/benchmarks.md, Decoding speed). The
 * song's samples are cut out of its blocks with the sample table of its decoder header, put in a
 * Matroska stream (the codec's configuration in its track) and piped to one ffmpeg per song, whose
 * PCM comes back on its standard output. ffmpeg is looked for on the PATH; a player without it
 * lists M4A songs as not playable.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { MatroskaWriter } from '../../common/audio/matroska-writer.js';
import { parseMp4DecoderHeader, type Mp4DecoderHeader } from '../../common/audio/mp4.js';

/** Whether an `ffmpeg` is on the PATH (looked at once). */
export const hasFfmpeg = ((): (() => boolean) => {
  let found: boolean | undefined;
  return () =>
    (found ??= (process.env['PATH'] ?? '').split(path.delimiter).some((dir) => {
      try {
        accessSync(path.join(dir || '.', 'ffmpeg'), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }));
})();

/** Where the sound of block `index` starts, in samples of the song (before it for block 0: the encoder delay). */
export function m4aBlockSoundStart(header: Uint8Array, index: number): number | undefined {
  const table = parseMp4DecoderHeader(header);
  const block = table?.blocks[index];
  return table && block ? block.time - table.delay : undefined;
}

type FfmpegProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** The ffmpeg of one song: a Matroska stream in, PCM of `channels` and `bits` out. */
function startFfmpeg(channels: 1 | 2, bits: 16 | 32): FfmpegProcess {
  // Probing off: the track says everything, and probing would wait for seconds of input.
  return spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0'],
      ...[
        '-f',
        'matroska',
        '-i',
        'pipe:0',
        '-ac',
        String(channels),
        '-f',
        `s${bits}le`,
        '-flush_packets',
        '1',
        'pipe:1',
      ],
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
}

/** A spare is started this long after a song's ffmpeg, so as not to slow that song's start. */
const SPARE_AFTER_MS = 300;
/** A spare not taken for this long is let go: M4A songs are not being played. */
const SPARE_IDLE_MS = 5 * 60_000;

/**
 * An ffmpeg started ahead and waiting on its input, for the next M4A song of the same output:
 * ffmpeg takes about 70 ms to start (it loads some 200 libraries), which was most of an M4A song's
 * time from key to sound. One is kept once an M4A song has played, and goes after SPARE_IDLE_MS
 * without another. It holds nothing open that keeps the player from exiting, and dies with it.
 */
let spare: { channels: 1 | 2; bits: 16 | 32; process: FfmpegProcess; idle: NodeJS.Timeout } | undefined;

const holdsLoop = (process: FfmpegProcess, hold: boolean): void => {
  for (const handle of [process, process.stdin, process.stdout, process.stderr] as Array<{
    ref(): void;
    unref(): void;
  }>)
    if (hold) handle.ref();
    else handle.unref();
};

function letSpareGo(): void {
  if (!spare) return;
  clearTimeout(spare.idle);
  spare.process.kill('SIGKILL');
  spare = undefined;
}

function makeSpare(channels: 1 | 2, bits: 16 | 32): void {
  if (spare) return;
  const process = startFfmpeg(channels, bits);
  process.on('error', () => {}); // no ffmpeg after all: the song that takes it says so
  process.stdin.on('error', () => {});
  holdsLoop(process, false);
  const made = { channels, bits, process, idle: setTimeout(letSpareGo, SPARE_IDLE_MS).unref() };
  process.once('exit', () => {
    if (spare === made) spare = undefined;
  });
  spare = made;
}

globalThis.process.once('exit', letSpareGo);

/** The spare ffmpeg when it is for this output and alive, else a new one; a spare for the next song follows. */
function takeFfmpeg(channels: 1 | 2, bits: 16 | 32): FfmpegProcess {
  const kept = spare;
  let process: FfmpegProcess;
  if (
    kept &&
    kept.channels === channels &&
    kept.bits === bits &&
    kept.process.exitCode === null &&
    !kept.process.killed
  ) {
    clearTimeout(kept.idle);
    spare = undefined;
    holdsLoop(kept.process, true);
    process = kept.process;
  } else {
    letSpareGo();
    process = startFfmpeg(channels, bits);
  }
  setTimeout(() => makeSpare(channels, bits), SPARE_AFTER_MS).unref();
  return process;
}

/** Frames ffmpeg may hold before its answer is waited for: the demuxer and decoder each keep about one. */
const FRAMES_IN_FLIGHT = 3;
/** The longest a decode waits for ffmpeg's answer before it gives what it has (a later one gives the rest). */
const ANSWER_WAIT_MS = 200;
/**
 * A song's first sound is given once this much of it is decoded (or the song ends first), each
 * wait for ffmpeg up to FIRST_ANSWER_WAIT_MS: a first piece plays out before the next comes when
 * ffmpeg is slowed by a busy machine, and the gap after it is heard (seen in CI: 20 ms of sound,
 * then 90 ms of silence; and, while the first answer was only what the first small piece of the
 * song held, 80 ms of sound, then 20 of silence). Its first quarter second costs ffmpeg a few ms.
 */
const FIRST_ANSWER_SECONDS = 0.25;
const FIRST_ANSWER_WAIT_MS = 1500;

export class FfmpegDecoder {
  private readonly process: FfmpegProcess;
  private readonly writer: MatroskaWriter;
  private readonly frameBytes: number;
  private pcm: Buffer[] = [];
  /** Frames handed to ffmpeg, and frames it gave back (all, before the end is cut). */
  private framesIn = 0;
  private framesOut = 0;
  /** Frames still to give: the song's end, past which the encoder's padding is not sound. */
  private left: number;
  /** The next sample of the table, and the bytes of it come so far. */
  private sample: number;
  private carry = Buffer.alloc(0);
  private readonly exited: Promise<void>;
  private failure: Error | undefined;
  private stderr = '';
  private wake: (() => void) | undefined;
  private freed = false;
  /** Whether sound was given yet. */
  private sounded = false;

  private constructor(
    private readonly table: Mp4DecoderHeader,
    firstBlock: number,
    private readonly channels: 1 | 2,
    bits: 16 | 32,
  ) {
    const block = table.blocks[firstBlock] ?? { firstSample: 0, time: 0 };
    this.sample = block.firstSample;
    this.left = Math.max(0, table.delay + table.totalSamples - block.time);
    this.frameBytes = (bits / 8) * channels;
    this.writer = new MatroskaWriter({
      codecId: table.codec === 'aac' ? 'A_AAC' : 'A_ALAC',
      codecPrivate: table.config,
      sampleRate: table.sampleRate,
      channels: table.channels,
      ...(table.codec === 'alac' ? { bits: table.bits } : {}),
    });
    this.process = takeFfmpeg(channels, bits);
    this.process.stdout.on('data', (data: Buffer) => {
      this.framesOut += data.length / this.frameBytes;
      this.pcm.push(data);
      this.wake?.();
    });
    this.process.stderr.on('data', (data: Buffer) => (this.stderr = (this.stderr + data.toString()).slice(-500)));
    this.process.stdin.on('error', () => {}); // ffmpeg gone: said by its exit
    this.exited = new Promise((resolve) => {
      this.process.on('error', (error) => {
        this.failure = new Error(`ffmpeg could not start: ${error.message}`);
        resolve();
      });
      this.process.on('close', (code, signal) => {
        if (code !== 0 && !this.failure && !this.freed)
          this.failure = new Error(`ffmpeg ended (${signal ?? code}): ${this.stderr.trim() || 'no reason given'}`);
        resolve();
      });
    });
    this.exited.then(() => this.wake?.());
    this.process.stdin.write(this.writer.head());
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
    const decoder = new FfmpegDecoder(table, firstBlock, channels, bits);
    signal?.addEventListener('abort', () => decoder.free(), { once: true });
    return decoder;
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
      if (!this.process.stdin.write(Buffer.concat(frames)))
        await Promise.race([new Promise((resolve) => this.process.stdin.once('drain', resolve)), this.exited]);
      const given = this.framesIn - FRAMES_IN_FLIGHT * (this.table.durations[0] ?? 1024);
      if (this.sounded) await this.answered(given, ANSWER_WAIT_MS);
      else await this.answered(Math.min(given, this.firstFrames()), FIRST_ANSWER_WAIT_MS);
    }
    // Held until the first quarter second is there: the song's next pieces come at once.
    if (!this.sounded && this.framesOut < this.firstFrames()) return Buffer.alloc(0);
    const pcm = this.take();
    if (pcm.length > 0) this.sounded = true;
    return pcm;
  }

  /** Frames out of ffmpeg before the first sound is given: the encoder delay, then FIRST_ANSWER_SECONDS of sound. */
  private firstFrames(): number {
    return this.table.delay + FIRST_ANSWER_SECONDS * this.table.sampleRate;
  }

  /** The rest, once ffmpeg has decoded all it was given. */
  async end(): Promise<Buffer> {
    this.process.stdin.end();
    await this.exited;
    if (this.failure) throw this.failure;
    return this.take();
  }

  /** Ends ffmpeg: at the song's end, or at once when the song is given up (a write to a closed output may never return). */
  free(): void {
    this.freed = true;
    // SIGKILL: ffmpeg takes SIGTERM as "finish what you read", and it sits in a read of its input.
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
    this.process.stdin.destroy();
  }

  /** Until ffmpeg has given back `frames` frames, it has ended, or `waitMs` passed. */
  private async answered(frames: number, waitMs: number): Promise<void> {
    if (this.framesOut >= frames || this.process.exitCode !== null) return;
    let late: NodeJS.Timeout | undefined;
    const timer = new Promise<'late'>((resolve) => (late = setTimeout(() => resolve('late'), waitMs)));
    while (this.framesOut < frames && this.process.exitCode === null && !this.failure) {
      const woken = new Promise<'woken'>((resolve) => (this.wake = () => resolve('woken')));
      if ((await Promise.race([woken, timer])) === 'late') break;
    }
    clearTimeout(late);
    this.wake = undefined;
  }

  private take(): Buffer {
    if (this.failure) throw this.failure;
    let pcm = this.pcm.length === 1 ? (this.pcm[0] as Buffer) : Buffer.concat(this.pcm);
    this.pcm = [];
    const frames = Math.min(Math.floor(pcm.length / this.frameBytes), this.left);
    // A frame split between two reads of the pipe waits for its other half.
    const whole = Math.floor(pcm.length / this.frameBytes) * this.frameBytes;
    if (whole < pcm.length) this.pcm.push(Buffer.from(pcm.subarray(whole)));
    pcm = pcm.subarray(0, frames * this.frameBytes);
    this.left -= frames;
    return pcm;
  }
}
