/**
 * A song decoded by a program of the system's (ffmpeg, mpg123, flac): the song's bytes written to
 * its standard input as they come, its PCM read back from its standard output. One process a
 * song, started ahead as a spare for the next song of the same command line: a process takes
 * 10-70 ms to start (ffmpeg loads some 200 libraries), which would be most of a song's time from
 * key to sound.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Whether a program is on the PATH (looked at once a name). */
export const onPath = ((): ((name: string) => boolean) => {
  const found = new Map<string, boolean>();
  const look = (name: string): boolean =>
    (process.env['PATH'] ?? '').split(path.delimiter).some((dir) => {
      try {
        accessSync(path.join(dir || '.', name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return (name) => {
    let there = found.get(name);
    if (there === undefined) found.set(name, (there = look(name)));
    return there;
  };
})();

type PipeProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** A spare is started this long after a song's process, so as not to slow that song's start. */
const SPARE_AFTER_MS = 300;
/** A spare not taken for this long is let go: songs of its kind are not being played. */
const SPARE_IDLE_MS = 5 * 60_000;

/**
 * What a process is given before its song, and the bytes of output that makes, dropped. ffmpeg
 * does its one-time setup on its first frame (10-14 ms here, measured): a spare given the song's
 * Matroska head and a silent frame ahead gives its song's first sound 1-2 ms after its first
 * frame. Made by the caller, which knows the program and the song.
 */
export interface WarmUp {
  input: Buffer;
  outputBytes: number;
}

interface Spare {
  process: PipeProcess;
  idle: NodeJS.Timeout;
  /** What it was given ahead (empty: nothing). */
  given: Buffer;
  /** Output of the warm-up still to come (dropped as it comes). */
  warmBytesLeft: number;
  dropWarmOutput(data: Buffer): void;
}

/**
 * Processes started ahead and waiting on their input, one for each command line used so far (a
 * song of another warm-up lets it go: songs whose heads all differ start no pile of processes).
 * Each holds nothing open that keeps the player from exiting, and dies with it.
 */
const spares = new Map<string, Spare>();

const holdsLoop = (child: PipeProcess, hold: boolean): void => {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref(): void; unref(): void }>)
    if (hold) handle.ref();
    else handle.unref();
};

const keyOf = (command: readonly string[]): string => command.join('\0');
const NOTHING = Buffer.alloc(0);

function letSpareGo(key: string): void {
  const spare = spares.get(key);
  if (!spare) return;
  clearTimeout(spare.idle);
  spare.process.kill('SIGKILL');
  spares.delete(key);
}

const start = (command: readonly string[], warmUp: WarmUp | undefined): PipeProcess => {
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // the process gone: said by its exit
  if (warmUp) child.stdin.write(warmUp.input);
  return child;
};

/**
 * Starts a spare for this command line now, given `warmUp`, unless one given the same waits: the
 * first song of its kind then starts no process.
 */
export function makeSpare(command: readonly string[], warmUp?: WarmUp): void {
  const key = keyOf(command);
  const given = warmUp?.input ?? NOTHING;
  if (spares.get(key)?.given.equals(given)) return;
  letSpareGo(key);
  const child = start(command, warmUp);
  child.on('error', () => {}); // no such program after all: the song that takes it says so
  holdsLoop(child, false);
  const made: Spare = {
    process: child,
    idle: setTimeout(() => letSpareGo(key), SPARE_IDLE_MS).unref(),
    given,
    warmBytesLeft: warmUp?.outputBytes ?? 0,
    dropWarmOutput: (data) => {
      made.warmBytesLeft = Math.max(0, made.warmBytesLeft - data.length);
    },
  };
  if (warmUp) child.stdout.on('data', made.dropWarmOutput);
  child.once('exit', () => {
    if (spares.get(key) === made) spares.delete(key);
  });
  spares.set(key, made);
}

process.once('exit', () => {
  for (const key of [...spares.keys()]) letSpareGo(key);
});

/**
 * The command line's spare when it is alive and was given this warm-up, or nothing yet (then it
 * is given the warm-up now), else a new process; a spare for the next song follows. With the
 * output of its warm-up still to come.
 */
function take(command: readonly string[], warmUp: WarmUp | undefined): { child: PipeProcess; warmBytesLeft: number } {
  const key = keyOf(command);
  setTimeout(() => makeSpare(command, warmUp), SPARE_AFTER_MS).unref();
  const kept = spares.get(key);
  const given = warmUp?.input ?? NOTHING;
  const usable =
    kept && kept.process.exitCode === null && !kept.process.killed && (kept.given.equals(given) || !kept.given.length);
  if (!usable) {
    letSpareGo(key);
    return { child: start(command, warmUp), warmBytesLeft: warmUp?.outputBytes ?? 0 };
  }
  clearTimeout(kept.idle);
  spares.delete(key);
  kept.process.stdout.off('data', kept.dropWarmOutput);
  holdsLoop(kept.process, true);
  if (kept.given.length) return { child: kept.process, warmBytesLeft: kept.warmBytesLeft };
  if (warmUp) kept.process.stdin.write(warmUp.input);
  return { child: kept.process, warmBytesLeft: warmUp?.outputBytes ?? 0 };
}

/** The longest a piece waits for the process's answer before it gives what it has (a later one gives the rest). */
const ANSWER_WAIT_MS = 200;
/**
 * A song's first sound is given once this much of it is decoded (or the song ends first), each
 * wait for the process up to FIRST_ANSWER_WAIT_MS: a first piece plays out before the next comes
 * when the process is slowed by a busy machine, and the gap after it is heard (seen in CI with
 * ffmpeg: 20 ms of sound, then 90 ms of silence; and, while the first answer was only what the
 * first small piece of the song held, 80 ms of sound, then 20 of silence). Its first quarter
 * second costs a decoder a few ms.
 */
export const FIRST_ANSWER_SECONDS = 0.25;
const FIRST_ANSWER_WAIT_MS = 1500;

export class DecoderProcess {
  private readonly process: PipeProcess;
  private pcm: Buffer[] = [];
  /** Frames it gave back so far. */
  private framesOut = 0;
  private readonly exited: Promise<void>;
  private failure: Error | undefined;
  private stderr = '';
  /** Waits for the process's output or its end, woken by each. */
  private readonly waits = new Set<() => void>();
  private freed = false;
  /** Whether sound was given yet. */
  private sounded = false;
  /** Frames of its output still to drop, and all it was told to drop. */
  private dropping = 0;
  private dropped = 0;

  /**
   * @param command the program and its arguments: song bytes in, PCM of `frameBytes` a frame out
   * @param signal the song given up: the process ends then, not when the writer comes back
   * @param warmUp what it is given before the song (a spare was given it ahead), its output dropped
   */
  constructor(
    command: readonly string[],
    readonly frameBytes: number,
    signal?: AbortSignal,
    warmUp?: WarmUp,
  ) {
    const name = command[0] as string;
    const { child, warmBytesLeft } = take(command, warmUp);
    this.process = child;
    let warmOutput = warmBytesLeft;
    this.process.stdout.on('data', (given: Buffer) => {
      const data = warmOutput > 0 ? given.subarray(Math.min(warmOutput, given.length)) : given;
      warmOutput -= given.length - data.length;
      if (data.length === 0) return;
      this.framesOut += data.length / frameBytes;
      this.pcm.push(data);
      for (const wake of this.waits) wake();
    });
    this.process.stderr.on('data', (data: Buffer) => (this.stderr = (this.stderr + data.toString()).slice(-500)));
    this.exited = new Promise((resolve) => {
      this.process.on('error', (error) => {
        this.failure = new Error(`${name} could not start: ${error.message}`);
        resolve();
      });
      this.process.on('close', (code, signal) => {
        if (code !== 0 && !this.failure && !this.freed)
          this.failure = new Error(`${name} ended (${signal ?? code}): ${this.stderr.trim() || 'no reason given'}`);
        resolve();
      });
    });
    this.exited.then(() => {
      for (const wake of this.waits) wake();
    });
    signal?.addEventListener('abort', () => this.free(), { once: true });
  }

  /**
   * Song bytes to the process; resolves once its input takes more, or, given `firstFrames` and
   * before the song's first sound, once that much sound is back: a program reads far ahead of
   * its answers (mpg123 took 200 KiB, 7 s of sound, before its input drained: 20 ms to decode),
   * and the first sound should not wait for all of it.
   */
  async write(bytes: Uint8Array, firstFrames?: number): Promise<void> {
    if (this.process.stdin.write(bytes)) return;
    const drained = new Promise<void>((resolve) => this.process.stdin.once('drain', resolve));
    if (this.sounded || firstFrames === undefined) {
      await Promise.race([drained, this.exited]);
      return;
    }
    await Promise.race([drained, this.until(() => this.framesOut - this.dropped >= firstFrames)]);
  }

  /** Song bytes whose `frames` of output are dropped: fed for what they leave in the decoder (an MP3's bit reservoir). */
  async prime(bytes: Uint8Array, frames: number): Promise<void> {
    this.dropping += frames;
    this.dropped += frames;
    await this.write(bytes);
  }

  /**
   * Waits for the process to give back `given` frames: up to ANSWER_WAIT_MS; before the song's
   * first sound, for as many of `firstFrames` as were given, up to FIRST_ANSWER_WAIT_MS.
   */
  async answer(given: number, firstFrames: number): Promise<void> {
    if (this.sounded) await this.answered(given, ANSWER_WAIT_MS);
    else await this.answered(Math.min(given, firstFrames), FIRST_ANSWER_WAIT_MS);
  }

  /**
   * Resolves true once `take(firstFrames)` has sound to give (or a failure to throw), false if
   * the process ended without: a writer waiting for its song's next bytes takes what came back
   * meanwhile, instead of leaving it until those bytes come.
   */
  async soundBack(firstFrames: number): Promise<boolean> {
    await this.until(() => this.hasSound(firstFrames));
    return this.hasSound(firstFrames) || this.failure !== undefined;
  }

  /**
   * The whole frames it gave back, `most` at most (the rest is dropped: past the song's end); none
   * until `firstFrames` are there for the song's first sound, so that its next pieces come at once.
   */
  take(firstFrames: number, most = Infinity): Buffer {
    if (this.failure) throw this.failure;
    if (!this.sounded && this.framesOut - this.dropped < firstFrames) return Buffer.alloc(0);
    let pcm = this.pcm.length === 1 ? (this.pcm[0] as Buffer) : Buffer.concat(this.pcm);
    this.pcm = [];
    // A frame split between two reads of the pipe waits for its other half.
    let frames = Math.floor(pcm.length / this.frameBytes);
    if (frames * this.frameBytes < pcm.length) this.pcm.push(Buffer.from(pcm.subarray(frames * this.frameBytes)));
    const drop = Math.min(this.dropping, frames);
    this.dropping -= drop;
    frames = Math.min(frames - drop, most);
    pcm = pcm.subarray(drop * this.frameBytes, (drop + frames) * this.frameBytes);
    if (pcm.length > 0) this.sounded = true;
    return pcm;
  }

  /** Once the process has decoded all it was given and ended. */
  async end(): Promise<void> {
    this.process.stdin.end();
    await this.exited;
    if (this.failure) throw this.failure;
  }

  /** Ends the process: at the song's end, or at once when the song is given up (a write to a closed output may never return). */
  free(): void {
    this.freed = true;
    // SIGKILL: ffmpeg takes SIGTERM as "finish what you read", and it sits in a read of its input.
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
    this.process.stdin.destroy();
  }

  /** Until the process has given back `frames` frames, it has ended, or `waitMs` passed. */
  private async answered(frames: number, waitMs: number): Promise<void> {
    let late: NodeJS.Timeout | undefined;
    const timer = new Promise<void>((resolve) => (late = setTimeout(resolve, waitMs)));
    await Promise.race([timer, this.until(() => this.framesOut >= frames)]);
    clearTimeout(late);
  }

  /** Whether frames past those to drop are back: all of `firstFrames` before the first sound, any after. */
  private hasSound(firstFrames: number): boolean {
    const frames = Math.floor(this.pcm.reduce((sum, piece) => sum + piece.length, 0) / this.frameBytes);
    return frames > this.dropping && (this.sounded || this.framesOut - this.dropped >= firstFrames);
  }

  /** Until `done` holds after some output, or the process has ended. */
  private async until(done: () => boolean): Promise<void> {
    let wake: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      wake = () => {
        if (done() || this.process.exitCode !== null || this.process.signalCode !== null || this.failure) resolve();
      };
      this.waits.add(wake);
      wake();
    });
    if (wake) this.waits.delete(wake);
  }
}
