/**
 * Open file descriptors against the process's limit. When the limit is reached,
 * libuv accepts each new connection and closes it at once without telling Node, so a daemon out of
 * descriptors looks alive and says nothing. This watch counts them every few seconds, reports them
 * in `stats`, and says so loudly in the log when they run short; open() failures with EMFILE or
 * ENFILE (reported by whoever meets them) are logged as errors too, at most once per interval.
 * Linux only (/proc); elsewhere the counts read 0 and nothing is logged. It counts while the daemon
 * is awake (activity.ts): asleep, nothing opens a descriptor, and a connection that would wakes it.
 */
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import type { Watch } from './activity.js';

const EVERY_MS = 5000;
/** Warn above this share of the limit; say it recovered below the lower one. */
const HIGH = 0.85;
const LOW = 0.7;

export interface DescriptorWatch extends Watch {
  open(): number;
  limit(): number;
  /** An open() failed with `code`: EMFILE and ENFILE are logged (rate-limited); others are not this watch's business. */
  failed(code: string | undefined, what: string): void;
  stop(): void;
}

function softLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? 0 : Number(soft);
  } catch {
    return 0;
  }
}

/**
 * Counting needs a descriptor of its own (reading /proc/self/fd opens it), and the count matters
 * most when none is left: one is kept in reserve and lent to the count.
 */
function descriptorCounter(limit: number): { count(): number; release(): void } {
  let reserve: number | undefined;
  const take = (): void => {
    try {
      reserve = openSync('/dev/null', 'r');
    } catch {
      // taken meanwhile: the next count tries again
    }
  };
  take();
  return {
    count() {
      try {
        if (reserve !== undefined) closeSync(reserve);
        reserve = undefined;
        return readdirSync('/proc/self/fd').length - 1; // not the one reading it
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        return code === 'EMFILE' || code === 'ENFILE' ? limit : 0;
      } finally {
        take();
      }
    },
    release() {
      if (reserve !== undefined) closeSync(reserve);
      reserve = undefined;
    },
  };
}

export function watchDescriptors(log: Logger): DescriptorWatch {
  const limit = softLimit();
  const counter = descriptorCounter(limit);
  let open = 0; // counted by the first wake (below)
  let countedAt = 0;
  let short = false;
  let lastAlarm = 0;
  const check = (): void => {
    open = counter.count();
    countedAt = Date.now();
    if (limit === 0) return;
    if (!short && open >= limit * HIGH) {
      short = true;
      log.error(
        `file descriptors: ${open} of ${limit} open; new connections and song files will fail at the limit (raise it with ulimit -n, or LimitNOFILE= under systemd)`,
      );
    } else if (short && open < limit * LOW) {
      short = false;
      log.info(`file descriptors: ${open} of ${limit} open again`);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const wake = (): void => {
    if (timer) return;
    check();
    timer = setInterval(check, EVERY_MS);
    timer.unref();
  };
  const sleep = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  wake();
  return {
    // Counted afresh when asked (stats), but at most once a second: players ask on every catalog change.
    open() {
      const now = Date.now();
      if (now - countedAt >= 1000) {
        countedAt = now;
        open = counter.count();
      }
      return open;
    },
    limit: () => limit,
    failed(code, what) {
      if (code !== 'EMFILE' && code !== 'ENFILE') return;
      const now = Date.now();
      if (now - lastAlarm < EVERY_MS) return;
      lastAlarm = now;
      open = counter.count();
      log.error(
        `out of file descriptors (${code}): ${what}; ${open} of ${limit || 'unlimited'} open; serving what is already open`,
      );
    },
    wake,
    sleep,
    stop() {
      sleep();
      counter.release();
    },
  };
}
