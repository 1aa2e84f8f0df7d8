/**
 * The player's estimate of the daemon's clock, over real TCP to a real daemon: a burst of round
 * trips once connected, and another as soon as listening along starts (not after the idle wait);
 * idle, the control connection's keep-alive is the round trip.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { DaemonClock } from '../../tui/listen-along/daemon-clock.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const music = mkdtempSync(path.join(os.tmpdir(), 'streamd-clock-music-'));
let daemon: TestDaemon;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (condition()) return true;
  return condition();
}

before(async () => {
  daemon = await startTestDaemon(music);
});
after(async () => {
  await daemon.stop();
  rmSync(music, { recursive: true, force: true });
});

describe('daemon clock', () => {
  it('estimates from a burst at start, then a burst and a round trip a second once listening along starts', async () => {
    const control = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'clocked' });
    const clock = new DaemonClock(control, () => {});
    try {
      control.start();
      await once(control, 'online');
      clock.start();
      assert.ok(
        await until(() => clock.estimate.count === 5, 3000),
        `the start's burst: ${clock.estimate.count} round trips`,
      );
      const offset = clock.estimate.offset as number;
      assert.ok(Math.abs(clock.now()! - Date.now()) < 60_000, `near the wall clock (offset ${offset} ms)`);
      await sleep(1000);
      assert.equal(clock.estimate.count, 5, 'not listening along: no round trip before the idle wait');

      clock.busy = true;
      assert.ok(
        await until(() => clock.estimate.count >= 10, 1500),
        `a burst when listening along starts: ${clock.estimate.count} round trips`,
      );
      const burstDone = clock.estimate.count;
      assert.ok(await until(() => clock.estimate.count > burstDone, 1500), 'then one a second');
      clock.busy = true; // still listening: no new burst
      await sleep(500);
      assert.ok(clock.estimate.count <= burstDone + 2, `no second burst while listening on: ${clock.estimate.count}`);
    } finally {
      clock.close();
      control.close();
    }
  });

  it("takes a round trip at each of the control connection's keep-alives while not listening along", async () => {
    const control = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'kept', keepAliveMs: 300 });
    const clock = new DaemonClock(control, () => {});
    try {
      control.start();
      await once(control, 'online');
      clock.start();
      assert.ok(await until(() => clock.estimate.count >= 5, 3000), 'the burst');
      assert.ok(
        await until(() => clock.estimate.count >= 8, 10_000),
        `round trips on the keep-alive: ${clock.estimate.count}`,
      );
    } finally {
      clock.close();
      control.close();
    }
  });

  it('makes its burst once the connection is up, when started before it (as a player starts)', async () => {
    const control = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'late' });
    const clock = new DaemonClock(control, () => {});
    try {
      clock.start();
      await sleep(800); // longer than a burst: one spent on no connection would be gone by now
      assert.equal(clock.estimate.count, 0);
      control.start();
      await once(control, 'online');
      assert.ok(
        await until(() => clock.estimate.count === 5, 3000),
        `a burst once connected: ${clock.estimate.count} round trips`,
      );
      assert.notEqual(clock.now(), undefined);
    } finally {
      clock.close();
      control.close();
    }
  });
});
