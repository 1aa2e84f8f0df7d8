/**
 * How much sound a short-latency stream (a call's voice) keeps in the server: enough to outlast
 * the longest the player went without feeding it lately, and no more. The server asks every few
 * ms; a player held up longer than the stream holds (a busy machine, a collection, a redraw) is
 * a gap the listener hears, so the headroom rises at once to the longest gap seen, plus a margin,
 * and comes down once no gap that long has been seen for `holdMs`: a calm machine keeps the short
 * delay a call wants, a busy one trades a little delay for no gaps. PulseAudio's own sinks move
 * their wake-up watermark the same way. Pure: times are passed in.
 */

import { WindowExtreme } from '../../common/window-extreme.js';

/** Above the longest gap: a request's own period, and the time to answer it. */
const MARGIN_MS = 10;
/** Targets move in steps of this, so that a gap a ms longer does not ask the server again. */
const STEP_MS = 10;

export class StallHeadroom {
  private lastFed: number | undefined;
  /** The longest gap of the last `holdMs`. */
  private readonly longest: WindowExtreme;
  private target: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    holdMs = 10_000,
  ) {
    this.target = minMs;
    this.longest = new WindowExtreme(holdMs);
  }

  /** The headroom aimed at now, ms. */
  get targetMs(): number {
    return this.target;
  }

  /** The stream was fed at `now` (ms): the new target when it moves, else undefined. */
  fed(now: number): number | undefined {
    if (this.lastFed !== undefined) this.longest.add(now, now - this.lastFed);
    this.lastFed = now;
    this.longest.expire(now);
    const wanted = Math.ceil(((this.longest.best ?? 0) + MARGIN_MS) / STEP_MS) * STEP_MS;
    const target = Math.min(this.maxMs, Math.max(this.minMs, wanted));
    if (target === this.target) return undefined;
    this.target = target;
    return target;
  }

  /** Starts again (the stream was opened anew): the first feed has no gap before it. */
  reset(): void {
    this.lastFed = undefined;
  }
}
