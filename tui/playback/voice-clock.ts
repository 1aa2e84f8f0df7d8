/**
 * Plays a call's voice by the wall clock, for a sink that cannot take it at its own pace (the
 * speaker's child process): a frame each 20 ms, counted by the time passed and not by the timer's
 * ticks (setInterval runs a little slow, and a playout behind the sender's clock keeps dropping
 * frames to catch up), at most MAX_CATCH_UP at once after the event loop was held up.
 */
import { FRAME_SAMPLES, VOICE_RATE } from '../audio/opus-codec.js';
import type { VoiceFrames } from '../audio/sink.js';

const FRAME_MS = (1000 * FRAME_SAMPLES) / VOICE_RATE;
const MAX_CATCH_UP = 10;

export class VoiceClock {
  private readonly timer: NodeJS.Timeout;
  private due: number | undefined;

  constructor(
    private readonly frames: VoiceFrames,
    private readonly play: (frame: Int16Array) => void,
  ) {
    this.timer = setInterval(() => this.tick(), FRAME_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    this.due ??= now;
    for (let n = 0; now >= this.due && n < MAX_CATCH_UP; n++) {
      this.due += FRAME_MS;
      const frame = this.frames.nextFrame();
      if (frame) this.play(frame);
    }
    if (now >= this.due) this.due = now; // a stall longer than that: start the clock again
  }
}
