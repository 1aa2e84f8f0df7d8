/**
 * One full garbage collection once the HTTP port has gone quiet after serving. A burst of streams
 * and covers leaves tens of MiB of file and socket buffers that are garbage at once, but V8 frees
 * them only when it collects, and it collects buffers only after about 64 MiB more of them: an idle
 * daemon would keep them until its next burst. Needs node's `--expose-gc`, which the daemon is
 * started with (DAEMON_RUNTIME in service.ts); without it this does nothing.
 */

/** Quiet this long after the last answer: a collection (~20 ms for the daemon's heap) disturbs no burst. */
const QUIET_MS = 2000;
/** Between the two rounds of a collection. */
const SWEPT_MS = 500;

export interface QuietCollector {
  /** An answer was sent: collect once nothing else has been for a while. */
  served(): void;
  stop(): void;
}

export function collectWhenQuiet(quietMs = QUIET_MS): QuietCollector {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return { served() {}, stop() {} };
  let timer: NodeJS.Timeout | undefined;
  let rounds = 0;
  const collect = (): void => {
    gc();
    // A second round once the first's pages are swept gives the emptied ones back (one leaves them held).
    if (++rounds < 2) {
      timer = setTimeout(collect, SWEPT_MS);
      timer.unref();
    } else timer = undefined;
  };
  return {
    served() {
      // Waiting for quiet: wait again from now (no new timer per request).
      if (timer && rounds === 0) return void timer.refresh();
      clearTimeout(timer);
      rounds = 0;
      timer = setTimeout(collect, quietMs);
      timer.unref();
    },
    stop: () => clearTimeout(timer),
  };
}
