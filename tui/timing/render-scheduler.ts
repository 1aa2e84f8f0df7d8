/**
 * When the screen is drawn: at most once a turn of the event loop, whatever changed in it; and not
 * in the first moments after a play. A render holds the one thread for a few ms, and so does what
 * an `att status` sets off: after a play both wait until the first sound is out (or `quietMs` at
 * most), and the status goes out then.
 */
export class RenderScheduler {
  private queued = false;
  private stopped = false;
  private quietUntil = 0;
  private quietTimer: NodeJS.Timeout | undefined;

  /**
   * @param draw renders the screen
   * @param afterQuiet what was held back by a play's quiet (the status), done when it ends
   */
  constructor(
    private readonly draw: () => void,
    private readonly afterQuiet: () => void,
  ) {}

  render(): void {
    if (this.queued || this.stopped || this.quieting) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      // A play came after this render was asked for (a move and Enter in one read): the play's
      // quiet holds it too, and its end draws.
      if (!this.stopped && !this.quieting) this.draw();
    });
  }

  /** A play: no render for `ms` or until the first sound (soundOut), whichever comes first. */
  quiet(ms: number): void {
    this.quietUntil = performance.now() + ms;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.endQuiet(), ms);
  }

  get quieting(): boolean {
    return performance.now() < this.quietUntil;
  }

  /** The first sound of a play is out. */
  soundOut(): void {
    if (this.quietUntil > 0) this.endQuiet();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.quietTimer);
  }

  private endQuiet(): void {
    this.quietUntil = 0;
    clearTimeout(this.quietTimer);
    this.afterQuiet();
    this.render();
  }
}
