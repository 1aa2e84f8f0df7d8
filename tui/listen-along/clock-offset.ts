/**
 * The daemon's clock as seen from here, as Snapcast's clients estimate their server's: each
 * `time` round trip gives an offset (the daemon's reading minus the middle of the round trip);
 * the estimate is the median of the offsets of the quickest quarter of the recent round trips (a
 * slow one was held up on one leg more than the other, and its middle is off; through 0-40 ms of
 * jitter the quickest half still left 5-10 ms of error). Pure: times passed in.
 */

export interface ClockSample {
  /** Local clock (ms) when `time` was sent and when its answer came. */
  sentAt: number;
  receivedAt: number;
  /** The daemon's `time_ms`. */
  daemonMs: number;
}

/** Round trips kept: enough for a median that one odd sample does not move. */
const KEEP = 25;

export class ClockOffset {
  private samples: Array<{ offset: number; rtt: number }> = [];

  add(sample: ClockSample): void {
    const rtt = sample.receivedAt - sample.sentAt;
    if (!(rtt >= 0) || !Number.isFinite(sample.daemonMs)) return;
    this.samples.push({ offset: sample.daemonMs - (sample.sentAt + sample.receivedAt) / 2, rtt });
    if (this.samples.length > KEEP) this.samples.shift();
  }

  get count(): number {
    return this.samples.length;
  }

  /** Daemon ms minus local ms, or undefined before the first round trip. */
  get offset(): number | undefined {
    if (this.samples.length === 0) return undefined;
    const rtts = this.samples.map((s) => s.rtt).sort((a, b) => a - b);
    const quick = rtts[Math.floor((rtts.length - 1) / 4)] as number;
    const offsets = this.samples
      .filter((s) => s.rtt <= quick)
      .map((s) => s.offset)
      .sort((a, b) => a - b);
    const mid = offsets.length >> 1;
    return offsets.length % 2
      ? (offsets[mid] as number)
      : ((offsets[mid - 1] as number) + (offsets[mid] as number)) / 2;
  }

  /** The daemon's clock at local time `localMs` (undefined until known). */
  daemonAt(localMs: number): number | undefined {
    const offset = this.offset;
    return offset === undefined ? undefined : localMs + offset;
  }
}

/** The local clock the estimate is made against: monotonic, in ms. */
export const localClockMs = (): number => performance.timeOrigin + performance.now();
