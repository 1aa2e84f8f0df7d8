/** Listening along, the daemon's part over real TCP: `time`, `att playback`, `att follow`, the device records that carry them, and `idle devices` waking on each. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const library = mkdtempSync(path.join(os.tmpdir(), 'streamd-along-'));
writeFileSync(
  path.join(library, 'a.mp3'),
  encodeMp3(synthesize({ title: 'x', seconds: 2, bpm: 120, root: 60, minor: false, seed: 3 }, 44100, 2), 128),
);
let daemon: TestDaemon;
const open: TestClient[] = [];

async function device(name: string): Promise<TestClient> {
  const { client } = await TestClient.connect(daemon.port);
  open.push(client);
  assert.ok((await client.line(`hello ${name}`)).ok);
  return client;
}

const recordOf = async (client: TestClient, name: string): Promise<Map<string, string> | undefined> =>
  records(await client.line('lista dispositivos'), 'device').find((record) => record.get('device') === name);

before(async () => {
  daemon = await startTestDaemon(library);
});
after(async () => {
  for (const client of open) client.close();
  await daemon.stop();
  rmSync(library, { recursive: true, force: true });
});

describe('listening along: the daemon', () => {
  it('time answers its clock in ms: monotonic, near the wall clock', async () => {
    const client = await device('clock');
    const first = Number((await client.line('time')).fields.find(([key]) => key === 'time_ms')?.[1]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = Number((await client.line('time')).fields.find(([key]) => key === 'time_ms')?.[1]);
    assert.ok(second - first >= 45 && second - first < 1000, `${first} then ${second}`);
    assert.ok(Math.abs(first - Date.now()) < 60_000, 'near the wall clock');
  });

  it("att playback sets the device record's playback, wakes idle devices, and stopped clears it", async () => {
    const den = await device('den');
    const watcher = await device('watcher');
    await watcher.line('idle devices'); // the hellos
    const waiting = watcher.line('idle devices');
    assert.ok((await den.line('att playback 1 61234 playing 1763790000123.456')).ok);
    assert.deepEqual((await waiting).fields, [['changed', 'devices']]);
    assert.equal((await recordOf(watcher, 'den'))?.get('playback'), '1 61234 playing 1763790000123.456');
    assert.ok((await den.line('att playback stopped')).ok);
    assert.equal((await recordOf(watcher, 'den'))?.has('playback'), false);
  });

  it('refuses a malformed record with bad_argument, and keeps the last good one', async () => {
    const den = await device('den2');
    await den.line('att playback 1 100 paused 5');
    for (const line of [
      'att playback 1 100 maybe 5',
      'att playback x 1 playing 5',
      'att playback 1 -1 playing 5',
      'att playback 1 1 playing',
      'att playback',
    ]) {
      const answer = await den.line(line);
      assert.equal(answer.code, 'bad_argument', line);
    }
    assert.equal((await recordOf(den, 'den2'))?.get('playback'), '1 100 paused 5.000');
  });

  it("att follow names the leader in the follower's record; att follow alone ends it; a device gone takes its records along", async () => {
    const kitchen = await device('kitchen');
    assert.ok((await kitchen.line('att follow den')).ok);
    assert.equal((await recordOf(kitchen, 'kitchen'))?.get('follows'), 'den');
    assert.equal((await kitchen.line('att follow not/a/name')).code, 'bad_argument');
    assert.ok((await kitchen.line('att follow')).ok);
    assert.equal((await recordOf(kitchen, 'kitchen'))?.has('follows'), false);
    await kitchen.line('att follow den');
    await kitchen.line('att playback 1 5 playing 9');
    kitchen.close();
    const again = await device('kitchen');
    const record = await recordOf(again, 'kitchen');
    assert.equal(record?.has('follows'), false);
    assert.equal(record?.has('playback'), false);
  });
});
