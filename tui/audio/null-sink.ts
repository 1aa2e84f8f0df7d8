/**
 * Plays silently in real time: it consumes audio at the format's rate, so progress moves as it
 * would with a sound card. Used with `--audio null` and when no device works.
 *
 * Its clock is computed when it is read, from the time that passed; the only timer is the one
 * moment someone waits for (room for more, or the end), as a sound card's interrupt would be.
 * A ticking clock cost a wake-up every 100 ms, which was most of a paused player's CPU.
 */
import { AHEAD_SECONDS, frameBytes, type AudioSink, type PcmFormat } from './sink.js';

export class NullSink implements AudioSink {
  readonly name = 'null (silent)';
  private format: PcmFormat = { sampleRate: 44100, channels: 2 };
  /** Frames written and not yet played, as of `last`. */
  private queuedFrames = 0;
  /** Frames played since the open or flush, as of `last`. */
  private played = 0;
  private paused = false;
  private last = performance.now();
  /** Writers waiting for room, and drains waiting for the end. */
  private roomWaiters: Array<() => void> = [];
  private endWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  async open(format: PcmFormat): Promise<void> {
    this.format = format;
    this.flush();
  }

  write(pcm: Buffer): Promise<void> {
    this.advance();
    this.queuedFrames += pcm.length / frameBytes(this.format);
    if (this.queuedFrames < this.roomFrames) return Promise.resolve();
    return new Promise((resolve) => {
      this.roomWaiters.push(resolve);
      this.schedule();
    });
  }

  pause(): void {
    this.advance();
    this.paused = true;
    this.schedule();
  }

  resume(): void {
    this.advance();
    this.paused = false;
    this.schedule();
  }

  flush(): void {
    this.queuedFrames = 0;
    this.played = 0;
    this.last = performance.now();
    this.settle();
  }

  playedFrames(): number {
    this.advance();
    return Math.floor(this.played);
  }

  drain(): Promise<void> {
    this.advance();
    if (this.queuedFrames <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.endWaiters.push(resolve);
      this.schedule();
    });
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const resolve of [...this.roomWaiters.splice(0), ...this.endWaiters.splice(0)]) resolve();
  }

  /** Below this many queued frames a writer may write more. */
  private get roomFrames(): number {
    return AHEAD_SECONDS * this.format.sampleRate;
  }

  /** The clock moved on to now: what played meanwhile leaves the queue. */
  private advance(): void {
    const now = performance.now();
    if (!this.paused) {
      const frames = Math.min(this.queuedFrames, ((now - this.last) / 1000) * this.format.sampleRate);
      this.queuedFrames -= frames;
      this.played += frames;
    }
    this.last = now;
  }

  /** Wakes who can go on now, and sets the one timer for the next who waits. */
  private settle(): void {
    if (this.queuedFrames < this.roomFrames) for (const resolve of this.roomWaiters.splice(0)) resolve();
    if (this.queuedFrames <= 0) for (const resolve of this.endWaiters.splice(0)) resolve();
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.paused) return;
    const target = this.roomWaiters.length > 0 ? this.roomFrames - 1 : this.endWaiters.length > 0 ? 0 : undefined;
    if (target === undefined) return;
    // The frames to play before the queue is down to the target; a ms more so that it is there.
    const ms = Math.max(0, ((this.queuedFrames - target) / this.format.sampleRate) * 1000) + 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.advance();
      this.settle();
    }, ms);
  }
}
