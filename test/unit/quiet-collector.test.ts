/** The HTTP port's collection once quiet: when gc() runs, and how often. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectWhenQuiet } from '../../daemon/server/quiet-collector.js';

const holder = globalThis as { gc?: () => void };
const realGc = holder.gc;

/** gc() as counted here, calling node's when it is exposed. */
function countCollections(): number[] {
  const at: number[] = [];
  holder.gc = () => {
    at.push(performance.now());
    realGc?.();
  };
  return at;
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(20);
}

describe('collect when quiet', () => {
  afterEach(() => {
    if (realGc) holder.gc = realGc;
    else delete holder.gc;
  });

  it('does nothing when node has no gc() exposed', async () => {
    delete holder.gc;
    const collector = collectWhenQuiet(10);
    collector.served();
    await sleep(50);
    collector.stop();
  });

  it('collects twice once answers stop, never while they come, and again after the next burst', async () => {
    const at = countCollections();
    const collector = collectWhenQuiet(1000);
    try {
      for (let i = 0; i < 30; i++) {
        collector.served();
        await sleep(20);
      }
      assert.equal(at.length, 0, 'collected while answers came');
      const lastServed = performance.now();
      collector.served();
      await until(() => at.length >= 2, 10_000);
      assert.equal(at.length, 2);
      assert.ok(
        (at[0] as number) - lastServed >= 990,
        `first round ${(at[0] as number) - lastServed} ms after the last answer`,
      );
      await sleep(1500);
      assert.equal(at.length, 2, 'a quiet port is not collected again');
      collector.served();
      await until(() => at.length >= 4, 10_000);
      assert.equal(at.length, 4);
    } finally {
      collector.stop();
    }
  });

  it('stop() ends a collection that was due', async () => {
    const at = countCollections();
    const collector = collectWhenQuiet(100);
    collector.served();
    collector.stop();
    await sleep(400);
    assert.equal(at.length, 0);
  });
});
