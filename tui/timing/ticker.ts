/**
 * The player's one clock for periodic work (the song's clock on screen, the rate figures, the
 * log): it wakes when the next thing it shows will have changed, not on a fixed beat. While a song
 * plays that is the moment its position reaches the next whole second (or the song's end), so the
 * clock on screen is never late and the player wakes once a second, as ncmpcpp does; otherwise
 * once a second while there is periodic work at all (a download's rate, a call's clock, the loss
 * chart), and not at all when there is none: a stopped player sleeps until something happens
 * (`wake`). Each wake-up of an otherwise idle player costs about as much as the work it does.
 */

/** The longest a tick waits: the rate figures are per second. */
export const TICK_MAX_MS = 1000;
/** The shortest: a song about to end is not polled in a tight loop. */
const TICK_MIN_MS = 20;
/** Past the second's edge by this much, so that the position read then shows the new second. */
const EDGE_MARGIN_MS = 2;

/** Where the song playing now is, or undefined when none is moving (stopped, paused, the radio). */
export interface MovingSong {
  position: number;
  duration: number;
  /** Other positions (seconds, in order) where the screen changes: the lines of synced lyrics. */
  cues?: readonly number[] | undefined;
}

/** ms until `song`'s position shows another whole second, reaches a cue, or ends; TICK_MAX_MS with no song moving. */
export function msToNextChange(song: MovingSong | undefined): number {
  if (!song) return TICK_MAX_MS;
  const toSecond = Math.floor(song.position) + 1 - song.position;
  const toEnd = song.duration - song.position;
  const cue = song.cues?.find((at) => at > song.position);
  const toCue = cue === undefined ? Infinity : cue - song.position;
  const seconds = Math.min(toEnd > 0 ? Math.min(toSecond, toEnd) : toSecond, toCue);
  return Math.min(TICK_MAX_MS, Math.max(TICK_MIN_MS, seconds * 1000 + EDGE_MARGIN_MS));
}

/** Work done on a tick once `everyMs` have passed since it was last done (0: at every tick); given the ms since. */
export interface TickJob {
  everyMs: number;
  run(elapsedMs: number): void;
}

export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly lastRun: number[];

  /**
   * @param moving the song whose clock is shown, when it moves
   * @param jobs the periodic work
   * @param busy whether there is periodic work with no song moving; when not, the ticker sleeps
   */
  constructor(
    private readonly moving: () => MovingSong | undefined,
    private readonly jobs: readonly TickJob[],
    private readonly busy: () => boolean = () => true,
  ) {
    this.lastRun = jobs.map(() => performance.now());
  }

  start(): void {
    this.lastRun.fill(performance.now());
    this.schedule();
  }

  /** Something moved the clock (the first sound of a play, a seek, a resume): the next tick is timed from here. */
  retime(): void {
    if (this.stopped) return;
    this.schedule();
  }

  /** Something happened that may need ticks (a play, a download, a call): a sleeping ticker starts again. */
  wake(): void {
    if (this.stopped || this.timer) return;
    this.lastRun.fill(performance.now()); // a job's figures are taken over time awake, not the sleep before
    this.schedule();
  }

  /** Whether a tick is due at all (false: sleeping until `wake`). */
  get awake(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const song = this.moving();
    if (!song && !this.busy()) return;
    // The handle stays set while the jobs run: what they tell wakes nothing (the tick schedules the next).
    this.timer = setTimeout(() => {
      const now = performance.now();
      this.jobs.forEach((job, i) => {
        const elapsed = now - (this.lastRun[i] as number);
        if (elapsed < job.everyMs) return;
        this.lastRun[i] = now;
        job.run(elapsed);
      });
      if (!this.stopped) this.schedule();
    }, msToNextChange(song));
  }
}
