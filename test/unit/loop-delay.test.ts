/** The daemon's event-loop delay figure (stats: event_loop_delay_p99_ms, _max_ms). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchLoopDelay } from '../../daemon/server/loop-delay.js';

const block = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('loop delay', () => {
  it('reads 0 before any sample, and a loop held across a sample as that much late', async () => {
    const watch = watchLoopDelay(1000);
    try {
      assert.equal(watch.max(), 0);
      assert.equal(watch.p99(), 0);
      // The first sample (1 s) only starts the clock; the one due at 2 s is held ~300 ms.
      await sleep(1800);
      block(500);
      await sleep(1000);
      assert.ok(watch.max() > 200 && watch.max() < 700, `worst ${watch.max()} ms late`);
      assert.ok(watch.p99() > 200, `p99 ${watch.p99()} ms (two samples: the worst)`);
    } finally {
      watch.stop();
    }
  });

  it('reads near 0 for a loop that keeps up', async () => {
    const watch = watchLoopDelay(1000);
    try {
      await sleep(3200);
      assert.ok(watch.max() < 100, `worst ${watch.max()} ms late`);
    } finally {
      watch.stop();
    }
  });
});
