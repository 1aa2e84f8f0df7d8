/**
 * Plays silently in real time: it consumes audio at the format's rate, so progress moves as it
 * would with a sound card. Used with `--audio null` and when no device works.
 */
import { AHEAD_SECONDS, type AudioSink, type PcmFormat } from './sink.js';

/** The clock is read twice a second; ticking faster only costs wake-ups. */
const TICK_MS = 100;

export class NullSink implements AudioSink {
  readonly name = 'null (silent)';
  private format: PcmFormat = { sampleRate: 44100, channels: 2 };
  private queuedFrames = 0;
  private played = 0;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private waiters: Array<() => void> = [];

  async open(format: PcmFormat): Promise<void> {
    this.format = format;
    this.flush();
  }

  write(pcm: Buffer): Promise<void> {
    if (!this.timer) {
      // The clock runs only while there is audio to play.
      this.last = performance.now();
      this.timer = setInterval(() => this.tick(), TICK_MS);
    }
    this.queuedFrames += pcm.length / (2 * this.format.channels);
    if (this.queuedFrames < AHEAD_SECONDS * this.format.sampleRate) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  pause(): void {
    this.tick();
    this.paused = true;
  }

  resume(): void {
    this.last = performance.now();
    this.paused = false;
  }

  flush(): void {
    this.queuedFrames = 0;
    this.played = 0;
    this.wake();
  }

  playedFrames(): number {
    return Math.floor(this.played);
  }

  async drain(): Promise<void> {
    while (this.queuedFrames > 0) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.wake();
  }

  private tick(): void {
    const now = performance.now();
    const elapsed = (now - this.last) / 1000;
    this.last = now;
    if (this.queuedFrames <= 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.paused) return;
    const frames = Math.min(this.queuedFrames, elapsed * this.format.sampleRate);
    this.queuedFrames -= frames;
    this.played += frames;
    if (this.queuedFrames < AHEAD_SECONDS * this.format.sampleRate) this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
