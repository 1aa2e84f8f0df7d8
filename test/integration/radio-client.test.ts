/**
 * The player's radio socket against a real daemon: it subscribes, keeps alive, and says LEAVE on
 * the way out, so that the daemon stops sending at once instead of after listener_timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { RadioClient } from '../../tui/daemon-link/radio-client.js';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { lossyRelay } from '../helpers/lossy-relay.js';

const library = mkdtempSync(path.join(os.tmpdir(), 'streamd-radio-client-'));
writeFileSync(
  path.join(library, 'a.mp3'),
  encodeMp3(synthesize({ title: 'x', seconds: 20, bpm: 120, root: 60, minor: false, seed: 3 }, 44100, 2), 128),
);

let daemon: TestDaemon;
let tcp: TestClient;
const listeners = async (): Promise<string | undefined> =>
  (await tcp.command('radio')).fields.find(([key]) => key === 'listeners')?.[1];

before(async () => {
  // The default listener_timeout (15 s): without a LEAVE the daemon would send on that long.
  daemon = await startTestDaemon(library, { radio: { playlist: ['a.mp3'] } });
  tcp = (await TestClient.connect(daemon.port)).client;
});
after(async () => {
  tcp.close();
  await daemon.stop();
  rmSync(library, { recursive: true, force: true });
});

describe('radio client', () => {
  it('stop() says LEAVE before it closes: the daemon forgets the listener at once', async () => {
    const client = new RadioClient('127.0.0.1', daemon.udpPort, 'leaver');
    const audio = new Promise((resolve) => client.once('audio', resolve));
    await client.start();
    await audio;
    await until('listening', async () => ((await listeners()) === '1' ? true : undefined));
    const stopped = Date.now();
    await client.stop();
    await until('the listener gone', async () => ((await listeners()) === '0' ? true : undefined), 5000);
    assert.ok(Date.now() - stopped < 5000, 'well before the 15 s listener_timeout');
  });

  it('after a silence it subscribes again, leaving first, so it is not refused as a duplicate', async () => {
    const relay = await lossyRelay({ upstreamPort: daemon.udpPort }, { loss: 0 });
    const options = { loss: 0 };
    const client = new RadioClient('127.0.0.1', relay.port, 'blackout');
    const accepts: number[] = [];
    const rejects: string[] = [];
    client.on('accept', () => accepts.push(Date.now()));
    client.on('reject', (text: string) => rejects.push(text));
    try {
      const audio = new Promise((resolve) => client.once('audio', resolve));
      await client.start();
      await audio;
      // Every audio datagram lost for longer than the client waits before subscribing again.
      relay.setLoss(1);
      await until('a second ACCEPT', () => (accepts.length >= 2 ? true : undefined), 15_000);
      relay.setLoss(options.loss);
      await new Promise((resolve) => client.once('audio', resolve));
      assert.deepEqual(rejects, []);
      assert.equal(await listeners(), '1', 'one listener, not an old one beside a new one');
    } finally {
      await client.stop();
      await until('the LEAVE through the relay', async () => ((await listeners()) === '0' ? true : undefined));
      relay.close();
    }
  });

  it('a stop before any answer leaves nothing behind', async () => {
    const client = new RadioClient('127.0.0.1', daemon.udpPort, 'early');
    const starting = client.start();
    await client.stop();
    await starting;
    assert.equal(await listeners(), '0');
  });
});
