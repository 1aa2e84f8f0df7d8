/**
 * How late the daemon's event loop runs: node's event-loop-delay histogram, sampled every 2 s,
 * notes how much later than due each sample came; `stats` reports the 99th percentile and the worst
 * of the last full minute. A loop that falls behind delays every client at once, so operators and
 * the soak watch it. It samples while the daemon is awake (activity.ts): the minute before it fell
 * asleep is what it reports until a minute after it wakes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Watch } from './activity.js';

// Two seconds apart: every sample is a wake-up of an idle daemon (at 1 s they were a third of its
// CPU, idle with a player connected). The histogram's timer is native, so a wake-up runs no
// JavaScript (half the cost of a JS timer's, measured); only the minute's roll-over does. Of 30
// samples the 99th percentile is the worst: both figures say how badly the loop was held up.
const SAMPLE_MS = 2000;
const WINDOW_MS = 60_000;

export interface LoopDelay extends Watch {
  /** ms late, over the last full minute (in the first minute: so far). */
  p99(): number;
  max(): number;
  stop(): void;
}

interface Window {
  p99: number;
  max: number;
}

export function watchLoopDelay(sampleMs = SAMPLE_MS, windowMs = WINDOW_MS): LoopDelay {
  const histogram = monitorEventLoopDelay({ resolution: sampleMs });
  // The histogram holds the time between samples (ns): what is over the period is the delay.
  const lateMs = (ns: number): number => Math.max(0, ns / 1e6 - sampleMs);
  const now = (): Window =>
    histogram.count === 0 ? { p99: 0, max: 0 } : { p99: lateMs(histogram.percentile(99)), max: lateMs(histogram.max) };
  let last: Window | undefined;
  let timer: NodeJS.Timeout | undefined;
  const wake = (): void => {
    if (timer) return;
    // Reset before enabling: the first sample after a sleep would count the sleep as delay.
    histogram.reset();
    histogram.enable();
    timer = setInterval(() => {
      last = now();
      histogram.reset();
    }, windowMs);
    timer.unref();
  };
  const sleep = (): void => {
    if (!timer) return;
    clearInterval(timer);
    timer = undefined;
    if (histogram.count > 0) last = now();
    histogram.disable();
  };
  // While awake, the minute so far until one has passed; asleep, the last one measured.
  const window = (): Window => last ?? now();
  wake();
  return {
    p99: () => window().p99,
    max: () => window().max,
    wake,
    sleep,
    stop: sleep,
  };
}
