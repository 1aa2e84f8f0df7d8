/**
 * The daemon's clock, estimated here by `time` round trips on the control connection (see
 * ClockOffset): a burst of five each time the control connection comes up, then one a second while
 * listening along; else the connection's keep-alive is a round trip (every 45 s, to follow the two
 * clocks' drift: 2.3 ms at 50 ppm), so an idle player wakes once for both. Listening along and a
 * handoff's timed start place themselves on this clock.
 */
import type { DaemonClient } from '../daemon-link/daemon-client.js';
import { ClockOffset, localClockMs } from './clock-offset.js';

const BURST = 5;
const BURST_GAP_MS = 100;
/**
 * While listening along (following, or followed), the estimate is kept fresh; otherwise it only
 * keeps up with drift, on the control connection's keep-alive: each round trip is a wake-up of an
 * idle player and an idle daemon.
 */
const REFRESH_MS = 1000;

export class DaemonClock {
  readonly estimate = new ClockOffset();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private inFlight = false;
  /** Round trips left in the current burst (at start, and when listening along starts). */
  private burstLeft = 0;
  private listening = false;

  constructor(
    private readonly control: DaemonClient,
    private readonly log: (text: string) => void,
  ) {}

  start(): void {
    this.started = true;
    this.control.keepAliveWith(() => this.ping());
    this.control.on('online', this.onOnline);
    if (this.control.online) this.onOnline();
  }

  /**
   * A burst once the connection is up: started before it (a player's first second, a daemon
   * restarting), a burst spent on a connection not yet there left the clock unknown for 30 s.
   */
  private readonly onOnline = (): void => {
    if (this.closed) return;
    this.burstLeft = BURST;
    if (!this.inFlight) this.schedule(0);
  };

  /** Listening along (following, or followed): round trips every second. */
  get busy(): boolean {
    return this.listening;
  }

  set busy(on: boolean) {
    // When listening along starts, a fresh burst at once: waiting out the idle round trip (up to
    // 45 s) left a new leader with only the five round trips of its start, taken while it loaded.
    if (on && !this.listening && this.started && !this.closed) {
      this.burstLeft = BURST;
      if (!this.inFlight) this.schedule(0);
    }
    this.listening = on;
  }

  /** The daemon's clock now (ms), once known. */
  now(): number | undefined {
    return this.estimate.daemonAt(localClockMs());
  }

  close(): void {
    this.closed = true;
    this.control.keepAliveWith(undefined);
    this.control.off('online', this.onOnline);
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.roundTrip(), ms);
  }

  private roundTrip(): void {
    if (this.closed || !this.control.online) return; // the connection's coming up starts a burst
    this.inFlight = true;
    void this.ping().finally(() => {
      this.inFlight = false;
      if (this.closed) return;
      if (this.burstLeft > 0) this.burstLeft -= 1;
      if (this.burstLeft > 0 || this.listening) this.schedule(this.burstLeft > 0 ? BURST_GAP_MS : REFRESH_MS);
    });
  }

  private async ping(): Promise<void> {
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
