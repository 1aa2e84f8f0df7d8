/**
 * Whether the daemon is at work: woken by whatever arrives (a connection, a command line, a
 * datagram, an HTTP request), asleep once QUIET_MS have passed with nothing arriving and nothing
 * going out (a download, a song stream, the radio, an HTTP stream). The watches that sample on a
 * timer (the loop delay, the descriptors) sample only while it is awake: a daemon with idle players
 * connected then wakes for nothing of its own (those samples were four fifths of its idle CPU,
 * measured), and a loop with no work cannot run late, nor descriptors open.
 */

/** Quiet this long, asleep: checked once per this while awake. */
const QUIET_MS = 10_000;
/**
 * Light requests (keep-alives, clock round trips) wake it only this many within QUIET_MS: a
 * player's come every 45 s, a flood of them is load.
 */
const LIGHT_FLOOD = 50;

export interface Watch {
  wake(): void;
  sleep(): void;
}

export class Activity {
  private arrivals = 0;
  private arrivalsSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly watches: Watch[] = [];
  private stopped = false;
  private lightCount = 0;
  private lightSince = 0;

  /** `sending`: whether something is still going out with nothing coming in (it keeps the daemon awake). */
  constructor(
    private readonly sending: () => boolean,
    private readonly quietMs = QUIET_MS,
  ) {}

  get awake(): boolean {
    return this.timer !== undefined;
  }

  /** A watch woken and put to sleep with the daemon, awake from now. */
  add(watch: Watch): void {
    this.watches.push(watch);
    if (this.awake) watch.wake();
    else this.arrived();
  }

  /** Something arrived: called for each, so it is a count and, asleep, a wake-up. */
  arrived(): void {
    this.arrivals++;
    if (this.timer !== undefined || this.stopped) return;
    this.arrivalsSeen = this.arrivals;
    this.checkLater();
    for (const watch of this.watches) watch.wake();
  }

  /** A light request arrived (Command.light): asleep, only a flood of them wakes it. */
  arrivedLight(): void {
    if (this.timer !== undefined) {
      this.arrivals++;
      return;
    }
    const now = Date.now();
    if (now - this.lightSince > this.quietMs) {
      this.lightSince = now;
      this.lightCount = 0;
    }
    if (++this.lightCount >= LIGHT_FLOOD) this.arrived();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.fallAsleep();
  }

  private checkLater(): void {
    this.timer = setTimeout(this.check, this.quietMs);
    this.timer.unref();
  }

  private readonly check = (): void => {
    if (this.arrivals === this.arrivalsSeen && !this.sending()) return this.fallAsleep();
    this.arrivalsSeen = this.arrivals;
    this.checkLater();
  };

  private fallAsleep(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const watch of this.watches) watch.sleep();
  }
}
