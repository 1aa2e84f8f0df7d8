/** Plays through `speaker` in the audio child process (see speaker-child.ts for why a process). */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AHEAD_SECONDS, type AudioSink, type PcmFormat } from './sink.js';

const CHILD = fileURLToPath(new URL('./speaker-child.js', import.meta.url));

function spawnChild(): ChildProcess {
  return fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
}

/**
 * Whether `speaker` can open the default ALSA device here: a throwaway child writes 20 ms of
 * silence. A missing device makes it abort, which only costs that child.
 */
export function probeSpeaker(timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawnChild();
    } catch {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, timeoutMs);
    child.on('message', (message: { type: string }) => {
      if (message.type !== 'probed') return;
      clearTimeout(timer);
      child.kill();
      resolve(true);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.send({ type: 'probe' });
  });
}

export class SpeakerSink implements AudioSink {
  readonly name = 'speaker (ALSA)';
  private child: ChildProcess | undefined;
  private format: PcmFormat = { sampleRate: 44100, channels: 2 };
  private gen = 0;
  private written = 0;
  private played = 0;
  private drained = false;
  private waiters: Array<() => void> = [];
  private failed: ((error: Error) => void) | undefined;

  /**
   * @param onFailure told when the audio child dies (the device went away)
   * @param onMessage told what the child says: speaker's errors, and ALSA's complaints on its stderr
   */
  constructor(
    onFailure: (error: Error) => void,
    private readonly onMessage: (text: string) => void = () => {},
  ) {
    this.failed = onFailure;
  }

  /**
   * Starts the audio child and opens the device now, in `format`: the first play then waits for
   * neither Node's start (~70 ms) nor a new ALSA and PulseAudio stream.
   */
  warm(format: PcmFormat = { sampleRate: 44100, channels: 2 }): void {
    if (this.child) return;
    this.format = format;
    this.child = this.spawn();
    this.child.send({ type: 'open', sampleRate: format.sampleRate, channels: format.channels });
  }

  async open(format: PcmFormat): Promise<void> {
    this.format = format;
    this.child ??= this.spawn();
    this.flush();
    this.child.send({ type: 'open', sampleRate: format.sampleRate, channels: format.channels });
  }

  private spawn(): ChildProcess {
    const child = spawnChild();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) this.onMessage(`audio: ${line.trim()}`);
    });
    child.on('message', (message: { type: string; gen?: number; bytes?: number; message?: string }) => {
      if (message.type === 'error') return this.onMessage(`audio: ${message.message ?? 'error'}`);
      if (message.gen !== this.gen) return;
      if (message.type === 'played') this.played = message.bytes as number;
      if (message.type === 'drained') this.drained = true;
      this.wake();
    });
    child.on('exit', (code) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.wake();
      this.failed?.(new Error(`the audio process ended (code ${code})`));
    });
    return child;
  }

  write(pcm: Buffer): Promise<void> {
    if (!this.child) return Promise.resolve();
    this.child.send({ type: 'pcm', gen: this.gen, data: pcm });
    this.written += pcm.length;
    return this.room();
  }

  pause(): void {
    this.child?.send({ type: 'pause' });
  }

  resume(): void {
    this.child?.send({ type: 'resume' });
  }

  flush(): void {
    this.gen++;
    this.written = 0;
    this.played = 0;
    this.drained = false;
    this.child?.send({ type: 'flush', gen: this.gen });
    this.wake();
  }

  playedFrames(): number {
    return Math.floor(this.played / (2 * this.format.channels));
  }

  /** Lets the device play out what it holds, then resolves (the child closes it to do so). */
  async drain(): Promise<void> {
    const gen = this.gen;
    this.drained = false;
    this.child?.send({ type: 'drain' });
    while (this.child && gen === this.gen && !this.drained) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.failed = undefined;
    this.child?.kill();
    this.child = undefined;
    this.wake();
  }

  private async room(): Promise<void> {
    const gen = this.gen;
    const ahead = AHEAD_SECONDS * this.format.sampleRate * 2 * this.format.channels;
    while (this.child && gen === this.gen && this.written - this.played > ahead) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
