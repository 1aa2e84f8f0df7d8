/**
 * How late the daemon's event loop runs: a one-second tick notes how much later than due it fired;
 * `stats` reports the 99th percentile and the worst of the last full minute. A loop that falls
 * behind delays every client at once, so operators and the soak watch it.
 */
// A second apart: every tick is a wake-up of an idle daemon, and a loop that falls behind
// delays the next tick whenever it comes. (At 250 ms these were most of an idle daemon's CPU.)
const TICK_MS = 1000;
const WINDOW_TICKS = 60; // one minute

export interface LoopDelay {
  /** ms late, over the last full minute (in the first minute: so far). */
  p99(): number;
  max(): number;
  stop(): void;
}

function summary(lates: readonly number[]): { p99: number; max: number } {
  if (lates.length === 0) return { p99: 0, max: 0 };
  const sorted = [...lates].sort((a, b) => a - b);
  return { p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number, max: sorted[sorted.length - 1] as number };
}

export function watchLoopDelay(): LoopDelay {
  let current: number[] = [];
  let last: { p99: number; max: number } | undefined;
  let due = performance.now() + TICK_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    current.push(Math.max(0, now - due));
    due = now + TICK_MS;
    if (current.length >= WINDOW_TICKS) {
      last = summary(current);
      current = [];
    }
  }, TICK_MS);
  timer.unref();
  const window = (): { p99: number; max: number } => last ?? summary(current);
  return { p99: () => window().p99, max: () => window().max, stop: () => clearInterval(timer) };
}
