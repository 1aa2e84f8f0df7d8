/**
 * The daemon's clock, estimated here by `time` round trips on the control connection (see
 * ClockOffset): a burst of five at start, then one a second while listening along (30 s else, to
 * follow the two clocks' drift: 1.5 ms at 50 ppm). Listening along places every playback record
 * on this clock.
 */
import type { DaemonClient } from '../client/daemon-client.js';
import { ClockOffset, localClockMs } from './clock-offset.js';

const BURST = 5;
const BURST_GAP_MS = 100;
/**
 * While listening along (following, or followed), the estimate is kept fresh; otherwise it only
 * keeps up with drift, and each round trip is a wake-up of an idle player and an idle daemon.
 */
const REFRESH_MS = 1000;
const IDLE_REFRESH_MS = 30_000;

export class DaemonClock {
  readonly estimate = new ClockOffset();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Listening along: round trips every second. */
  busy = false;

  constructor(
    private readonly control: DaemonClient,
    private readonly log: (text: string) => void,
  ) {}

  start(): void {
    const burst = (left: number): void => {
      if (this.closed) return;
      void this.ping().finally(() => {
        if (left > 1) this.timer = setTimeout(() => burst(left - 1), BURST_GAP_MS);
        else this.timer = setTimeout(() => this.refresh(), this.refreshMs);
      });
    };
    burst(BURST);
  }

  private get refreshMs(): number {
    return this.busy ? REFRESH_MS : IDLE_REFRESH_MS;
  }

  /** The daemon's clock now (ms), once known. */
  now(): number | undefined {
    return this.estimate.daemonAt(localClockMs());
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private refresh(): void {
    if (this.closed) return;
    void this.ping().finally(() => {
      if (!this.closed) this.timer = setTimeout(() => this.refresh(), this.refreshMs);
    });
  }

  private async ping(): Promise<void> {
    if (!this.control.online) return;
    const sentAt = localClockMs();
    try {
      const reply = await this.control.request('time');
      const receivedAt = localClockMs();
      const daemonMs = Number(reply.ok ? reply.fields.find(([key]) => key === 'time_ms')?.[1] : NaN);
      if (Number.isFinite(daemonMs)) this.estimate.add({ sentAt, receivedAt, daemonMs });
      else if (!reply.ok) this.log(`time: ${reply.text} (an older streamd: listening along is not in sync)`);
    } catch {
      // offline: the next ping tries again
    }
  }
}
