/**
 * When the daemon's watches sample: awake while something arrives or goes out, asleep after a
 * quiet spell, woken by the next arrival; and the loop delay counts no sleep as lateness.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Activity } from '../../daemon/server/activity.js';
import { watchLoopDelay } from '../../daemon/server/loop-delay.js';

const QUIET_MS = 1000;

/** A watch that writes down what it was told. */
function recorder(): { told: string[]; wake(): void; sleep(): void } {
  const told: string[] = [];
  return { told, wake: () => told.push('wake'), sleep: () => told.push('sleep') };
}

describe('activity', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  it('wakes a watch as it is added, and puts it to sleep after a quiet spell', () => {
    const activity = new Activity(() => false, QUIET_MS);
    const watch = recorder();
    activity.add(watch);
    assert.deepEqual(watch.told, ['wake']);
    mock.timers.tick(QUIET_MS);
    assert.deepEqual(watch.told, ['wake', 'sleep']);
    assert.equal(activity.awake, false);
    mock.timers.tick(10 * QUIET_MS);
    assert.deepEqual(watch.told, ['wake', 'sleep'], 'asleep, nothing more');
    activity.stop();
  });

  const cases: Array<{ name: string; keep: (activity: Activity) => void; sending: boolean }> = [
    { name: 'arrivals', keep: (activity) => activity.arrived(), sending: false },
    { name: 'something going out', keep: () => {}, sending: true },
  ];
  for (const { name, keep, sending } of cases) {
    it(`stays awake while ${name} keep it so, and sleeps a quiet spell after`, () => {
      let going = sending;
      const activity = new Activity(() => going, QUIET_MS);
      const watch = recorder();
      activity.add(watch);
      for (let i = 0; i < 20; i++) {
        mock.timers.tick(QUIET_MS / 2);
        keep(activity);
      }
      assert.deepEqual(watch.told, ['wake']);
      going = false;
      // One check a tick: node 20's mock clock runs a timer set by a timer on the next tick only.
      mock.timers.tick(QUIET_MS);
      mock.timers.tick(QUIET_MS);
      assert.deepEqual(watch.told, ['wake', 'sleep']);
      activity.stop();
    });
  }

  it('is not woken by light requests at a keep-alive pace, and is by a flood of them', () => {
    const activity = new Activity(() => false, QUIET_MS);
    const watch = recorder();
    activity.add(watch);
    mock.timers.tick(QUIET_MS);
    for (let i = 0; i < 200; i++) {
      activity.arrivedLight();
      mock.timers.tick(QUIET_MS / 4);
    }
    assert.deepEqual(watch.told, ['wake', 'sleep'], 'four a quiet spell: asleep');
    mock.timers.tick(QUIET_MS + 1); // a fresh count
    for (let i = 0; i < 49; i++) activity.arrivedLight();
    assert.equal(activity.awake, false, 'not yet a flood');
    activity.arrivedLight();
    assert.deepEqual(watch.told, ['wake', 'sleep', 'wake'], 'fifty in a quiet spell: awake');
    activity.stop();
  });

  it('wakes every watch again at the next arrival, once', () => {
    const activity = new Activity(() => false, QUIET_MS);
    const first = recorder();
    const second = recorder();
    activity.add(first);
    activity.add(second);
    mock.timers.tick(QUIET_MS);
    activity.arrived();
    activity.arrived();
    assert.deepEqual(first.told, ['wake', 'sleep', 'wake']);
    assert.deepEqual(second.told, ['wake', 'sleep', 'wake']);
    activity.stop();
    assert.deepEqual(first.told, ['wake', 'sleep', 'wake', 'sleep'], 'stopped: asleep');
    activity.arrived();
    assert.equal(activity.awake, false, 'stopped: no arrival wakes it');
  });
});

describe('loop delay across a sleep', () => {
  it('counts none of the time asleep as lateness', async () => {
    // Samples every 100 ms, a window of 1 s: asleep for 1.5 s, then read in the window that
    // closed a second after waking (the first sample after it would hold the sleep).
    const watch = watchLoopDelay(100, 1000);
    try {
      await sleep(300);
      watch.sleep();
      await sleep(1500);
      watch.wake();
      await sleep(1400);
      assert.ok(watch.max() < 1000, `worst ${watch.max()} ms late: the sleep counted`);
    } finally {
      watch.stop();
    }
  });
});
