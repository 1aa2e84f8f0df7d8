/**
 * How much sound a short-latency stream (a call's voice) keeps in the server: enough to outlast
 * the player's stalls of late, and no more. The server asks every few ms; a player held up longer
 * than the stream holds (a busy machine, a collection, a redraw) lets it run dry, a gap the
 * listener hears. When it runs dry, the headroom rises at once past the gap that did it (half
 * as long again, and a margin), and comes down once the stream has not run dry for `holdMs`: a calm machine keeps the
 * short delay a call wants (a gap the stream outlasted raises nothing), a busy one trades a
 * little delay for no gaps. PulseAudio's own sinks move their wake-up watermark the same way.
 * Pure: times are passed in.
 */
import { WindowExtreme } from '../../common/window-extreme.js';

/**
 * A stall that ran it dry is held half as long again, and this more (a request's own period,
 * the device's latency): the next stall on a busy machine is seldom just as long.
 */
const MARGIN_MS = 20;
/** Gaps are looked back on this far (ms) when the server says the stream ran dry. */
const RECENT_MS = 1000;
/** Targets move in steps of this, so that a gap a ms longer does not ask the server again. */
const STEP_MS = 10;
/**
 * A stream runs dry in its first moments without it saying anything of the stalls to come: a
 * call's voice starts as the call's own first work runs (its first renders, its loss chart), and
 * nothing has been said yet. Held for 10 s, that start kept a call 100-120 ms later for its first
 * words, every call (the mouth-to-ear benchmark's first clicks, traced). Not counted for this long.
 */
const START_GRACE_MS = 2000;

export class StallHeadroom {
  private lastFed: number | undefined;
  /** When the stream was opened, for its start's grace. */
  private startedAt: number | undefined;
  /** The longest gap of the last second: the server tells of a run dry after the feeds that ended it. */
  private readonly recentGaps = new WindowExtreme(RECENT_MS);
  /** The gaps that ran the stream dry in the last `holdMs`. */
  private readonly stalls: WindowExtreme;
  private target: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    holdMs = 10_000,
  ) {
    this.target = minMs;
    this.stalls = new WindowExtreme(holdMs);
  }

  /** The headroom aimed at now, ms. */
  get targetMs(): number {
    return this.target;
  }

  /** The stream was fed at `now` (ms): the new target when it moves (down), else undefined. */
  fed(now: number): number | undefined {
    if (this.lastFed !== undefined) this.recentGaps.add(now, now - this.lastFed);
    this.lastFed = now;
    this.stalls.expire(now);
    return this.retarget();
  }

  /** The stream ran dry (the server said so) at `now`: the new target when it moves (up), else undefined. */
  ranDry(now: number): number | undefined {
    if (this.startedAt !== undefined && now - this.startedAt < START_GRACE_MS) return undefined;
    this.recentGaps.expire(now);
    const gap = Math.max(this.recentGaps.best ?? 0, this.lastFed === undefined ? 0 : now - this.lastFed);
    this.stalls.add(now, gap);
    return this.retarget();
  }

  /** Starts again (the stream was opened anew at `now`): the first feed has no gap before it, and its start runs dry freely. */
  reset(now: number): void {
    this.startedAt = now;
    this.lastFed = undefined;
    this.recentGaps.clear();
  }

  private retarget(): number | undefined {
    const stall = this.stalls.best;
    const wanted = stall === undefined ? this.minMs : Math.ceil((1.5 * stall + MARGIN_MS) / STEP_MS) * STEP_MS;
    const target = Math.min(this.maxMs, Math.max(this.minMs, wanted));
    if (target === this.target) return undefined;
    this.target = target;
    return target;
  }
}
