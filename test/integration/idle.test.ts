/**
 * Push events (docs/protocol.md, Push events) over real TCP: every topic, nothing missed between two
 * `idle`s, `noidle`, a command while idle, an idler outliving connection_timeout, a client that
 * closes while idle; and `quit` taking the device away at once.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { records, TestClient, type Response } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { UdpPeer } from '../helpers/udp-peer.js';

const library = mkdtempSync(path.join(os.tmpdir(), 'streamd-idle-'));
const spec = { title: 'x', seconds: 2, bpm: 120, root: 60, minor: false, seed: 3 };
writeFileSync(path.join(library, 'a.mp3'), encodeMp3(synthesize(spec, 44100, 2), 128));
writeFileSync(path.join(library, 'b.mp3'), encodeMp3(synthesize({ ...spec, seed: 4 }, 44100, 2), 128));

let daemon: TestDaemon;
const open: TestClient[] = [];
const peers: UdpPeer[] = [];

async function connect(): Promise<TestClient> {
  const { client } = await TestClient.connect(daemon.port);
  open.push(client);
  return client;
}

/** The `changed:` values of an idle answer. */
const changed = (response: Response): string[] =>
  response.fields.filter(([key]) => key === 'changed').map(([, value]) => value);

/** The next response, or 'pending' if none comes within `ms` (it stays for the next read). */
const within = async (client: TestClient, ms: number): Promise<Response | 'pending'> =>
  (await client.nextWithin(ms)) ?? 'pending';

/** Resolves when the daemon has closed its side of `client`; fails after `ms`. */
async function closedWithin(client: TestClient, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the daemon kept the connection open ${ms} ms after the client left`)),
      ms,
    );
  });
  try {
    await Promise.race([client.closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Takes whatever is pending for `topics` without waiting: idle, then noidle at once. */
async function clear(client: TestClient, topics = ''): Promise<void> {
  client.send(`idle ${topics}\nnoidle\n`);
  await client.next();
}

before(async () => {
  // Radio on a 2-second song in a loop, so that the programme changes song by the clock.
  daemon = await startTestDaemon(library, { radio: { playlist: ['a.mp3'] } });
  daemon.server.services.radio.begin();
});
after(async () => {
  for (const client of open) client.close();
  for (const peer of peers) peer.close();
  await daemon.stop();
  rmSync(library, { recursive: true, force: true });
});

describe('idle: every topic', () => {
  it('devices: a device that comes, renames, sets its status and goes', async () => {
    const watcher = await connect();
    await watcher.line('hello watcher');
    // Its own hello counts as a change it has not been told of yet.
    assert.deepEqual(changed(await watcher.line('idle devices')), ['devices']);

    for (const step of ['comes', 'hello', 'status', 'goes'] as const) {
      watcher.send('idle devices\n');
      assert.equal(await within(watcher, 150), 'pending', `idle waits before the device ${step}`);
      if (step === 'comes') open.push(await connect());
      const other = open[open.length - 1] as TestClient;
      if (step === 'hello') await other.line('hello kitchen');
      if (step === 'status') await other.line('att status playing a.mp3 0:01/0:02');
      if (step === 'goes') other.close();
      const answer = await watcher.next();
      assert.equal(answer.ok, true);
      assert.deepEqual(changed(answer), ['devices'], step);
    }
    const list = records(await watcher.line('lista dispositivos'), 'device').map((d) => d.get('device'));
    assert.deepEqual(list, ['watcher']);
  });

  it('catalog: a song added to the library', async () => {
    const watcher = await connect();
    watcher.send('idle catalog\n');
    assert.equal(await within(watcher, 150), 'pending');
    copyFileSync(path.join(library, 'a.mp3'), path.join(library, 'c.mp3'));
    await daemon.catalog.scan();
    const answer = await watcher.next();
    assert.deepEqual(changed(answer), ['catalog']);
    assert.ok(readdirSync(library).includes('c.mp3'));
    const songs = records(await watcher.line('lista'), 'song').map((s) => s.get('file'));
    assert.ok(songs.includes('c.mp3'), 'the new song is listed once idle said so');
  });

  it('radio: a listener joins and leaves, and the song changes with nobody listening', async () => {
    const watcher = await connect();
    watcher.send('idle radio\n');
    // The programme changes song every 2 s by the clock: idle hears of it with no listener.
    const bySong = await watcher.next();
    assert.deepEqual(changed(bySong), ['radio']);

    const listener = await UdpPeer.open(daemon.udpPort);
    peers.push(listener);
    await listener.listen('radio-test');
    const joined = await watcher.line('idle radio');
    assert.deepEqual(changed(joined), ['radio']);
    const count = await until('the listener counted', async () => {
      const n = (await watcher.line('radio')).fields.find(([key]) => key === 'listeners')?.[1];
      return n === '1' ? n : undefined;
    });
    assert.equal(count, '1');

    await clear(watcher, 'radio'); // a song change may have come meanwhile
    watcher.send('idle radio\n');
    listener.leave();
    assert.deepEqual(changed(await watcher.next()), ['radio']);
    const left = (await watcher.line('radio')).fields.find(([key]) => key === 'listeners')?.[1];
    assert.equal(left, '0');
  });

  it('calls: taken as a topic, and not woken by other topics', async () => {
    const watcher = await connect();
    watcher.send('idle calls\n');
    await (await connect()).line('att status something else');
    assert.equal(await within(watcher, 200), 'pending');
    watcher.send('noidle\n');
    assert.deepEqual(changed(await watcher.next()), []);
  });

  it('no topic means every topic, each changed topic named once', async () => {
    const watcher = await connect();
    await clear(watcher); // what is pending since it connected
    const other = await connect();
    await other.line('hello a1');
    await other.line('att status one');
    await other.line('att status two');
    copyFileSync(path.join(library, 'a.mp3'), path.join(library, 'd.mp3'));
    await daemon.catalog.scan();
    const answer = await watcher.line('idle');
    const topics = changed(answer);
    assert.equal(topics.filter((t) => t === 'devices').length, 1);
    assert.equal(topics.filter((t) => t === 'catalog').length, 1);
    assert.deepEqual(
      topics.filter((t) => t !== 'radio'),
      ['devices', 'catalog'],
      'in the protocol order',
    );
  });

  it('an unknown topic is ERR bad_argument, and the connection lives on', async () => {
    const client = await connect();
    const answer = await client.line('idle devices weather');
    assert.equal(answer.code, 'bad_argument');
    assert.equal((await client.line('ping')).ok, true);
  });
});

describe('idle: the rules of section 4', () => {
  it('a change between two idles is not missed', async () => {
    const watcher = await connect();
    await clear(watcher, 'devices');
    const other = await connect();
    await other.line('att status while nobody idles');
    watcher.send('idle devices\n');
    const answer = await within(watcher, 100);
    assert.notEqual(answer, 'pending', 'answered at once');
    assert.deepEqual(changed(answer as Response), ['devices']);
  });

  it('noidle ends a pending idle, and gets no answer of its own', async () => {
    const watcher = await connect();
    await watcher.line('idle devices');
    watcher.send('idle devices\n');
    assert.equal(await within(watcher, 100), 'pending');
    watcher.send('noidle\n');
    const ended = await watcher.next();
    assert.equal(ended.ok, true);
    assert.deepEqual(changed(ended), []);
    // A noidle with no idle to end is not answered either: the next answer is the device list.
    watcher.send('noidle\nlista dispositivos\n');
    const list = await watcher.next();
    assert.ok(records(list, 'device').length >= 1, 'the answer after noidle is the device list');
  });

  it('another command sent while idle ends it first, then is answered: order is kept', async () => {
    const watcher = await connect();
    await watcher.line('hello orderly');
    await watcher.line('idle devices');
    watcher.send('idle devices\n');
    assert.equal(await within(watcher, 100), 'pending');
    watcher.send('lista dispositivos\n');
    const idleAnswer = await watcher.next();
    assert.equal(idleAnswer.ok, true);
    assert.equal(idleAnswer.fields.length, 0, 'the idle answers first, with no change');
    const list = await watcher.next();
    assert.ok(records(list, 'device').some((d) => d.get('device') === 'orderly'));
  });

  it('an idling connection outlives connection_timeout', async () => {
    // A daemon of its own whose connection_timeout is 0.6 s: a plain connection is closed by then.
    const short = await startTestDaemon(library, { limits: { connection_timeout: 0.6 } });
    try {
      const watcher = (await TestClient.connect(short.port)).client;
      const quiet = (await TestClient.connect(short.port)).client;
      await clear(watcher, 'devices');
      watcher.send('idle devices\n');
      await quiet.closed; // the control: timed out, which is itself a change of devices
      assert.deepEqual(changed(await watcher.next()), ['devices']);
      watcher.send('idle devices\n');
      assert.equal(await within(watcher, 1500), 'pending', 'still idling at 2.5 x connection_timeout');
      const waker = (await TestClient.connect(short.port)).client;
      assert.deepEqual(changed(await watcher.next()), ['devices']);
      assert.equal((await watcher.line('ping')).ok, true, 'still open');
      watcher.close();
      waker.close();
    } finally {
      await short.stop();
    }
  });

  it('a client gone while idling on a quiet topic is let go at once: it holds no slot', async () => {
    // Four slots for one address: idlers that closed and were kept would lock it out by the fifth.
    const strict = await startTestDaemon(library, { limits: { max_connections_per_address: 4 } });
    try {
      const ways = ['end', 'destroy', 'end then idle', 'end', 'destroy', 'end then idle', 'destroy', 'end'];
      for (const [i, way] of ways.entries()) {
        const { client } = await until(`a slot for idler ${i}`, async () => {
          const attempt = await TestClient.connect(strict.port);
          if (attempt.greeting.ok) return attempt;
          attempt.client.close();
          return undefined;
        });
        if (way === 'end then idle') {
          // `printf 'lista\nidle calls\n' | nc`: lista is answered whole, the idle then ends at once.
          client.send('lista\nidle calls\n');
          client.socket.end();
          assert.ok((await client.next()).ok, 'lista answered');
          assert.deepEqual(changed(await client.next()), [], 'the idle ends with nothing changed');
          await closedWithin(client, 5000);
          continue;
        }
        client.send('idle calls\n');
        assert.equal(await within(client, 50), 'pending', 'nothing changed: the idle waits');
        if (way === 'end') {
          client.socket.end();
          await closedWithin(client, 5000); // the daemon closes its side too
        } else client.close();
      }
    } finally {
      await strict.stop();
    }
  });

  it(
    'a flood of status changes wakes an idler at most 20 times a second, and the last status is the one listed',
    { timeout: 30_000 },
    async () => {
      const watcher = await connect();
      await clear(watcher, 'devices');
      const flooder = await connect();
      assert.equal((await flooder.line('hello flooder')).ok, true);
      await clear(watcher, 'devices');
      let wakes = 0;
      let flooding = true;
      const watching = (async () => {
        while (flooding) {
          watcher.send('idle devices\n');
          await watcher.next();
          wakes++;
        }
      })();
      const started = performance.now();
      // As a flooder on the network does: a change each millisecond or so, not one burst.
      const count = 1500;
      for (let i = 0; i < count; i++) {
        flooder.send(`att status flood ${i}\n`);
        await sleep(1);
      }
      for (let i = 0; i < count; i++) assert.equal((await flooder.next()).ok, true);
      const seconds = (performance.now() - started) / 1000;
      await sleep(250); // the last change of the burst is told after its window
      flooding = false;
      watcher.send('noidle\n');
      await watching;
      // A player's pace is told at once (a burst of 20, then 10 a second), the flood past it at most
      // once each 100 ms more: 20 a second in all.
      assert.ok(wakes <= 20 + seconds * 20 + 4, `${wakes} wake-ups for ${count} changes in ${seconds.toFixed(2)} s`);
      const listed = records(await watcher.line('lista dispositivos'), 'device').find(
        (d) => d.get('device') === 'flooder',
      );
      assert.equal(listed?.get('status'), `flood ${count - 1}`);
    },
  );

  it('a client that closes while idle leaves the daemon serving and its device gone', async () => {
    const watcher = await connect();
    await watcher.line('hello leaving');
    await watcher.line('idle devices');
    watcher.send('idle devices\n');
    assert.equal(await within(watcher, 100), 'pending');
    watcher.close();
    const other = await connect();
    const names = await until('the device gone', async () => {
      const list = records(await other.line('lista dispositivos'), 'device').map((d) => d.get('device'));
      return list.includes('leaving') ? undefined : list;
    });
    assert.ok(!names.includes('leaving'));
    await other.line('att status after the idler left'); // a change with a closed idler in the bus
    assert.equal((await other.line('ping')).ok, true);
  });
});

describe('quit', () => {
  for (const word of ['quit', '9', 'exit']) {
    it(`'${word}': the device is gone at once and the socket closed, though the client keeps its side open`, async () => {
      const leaver = await connect();
      const name = `leaver-${word}`;
      await leaver.line(`hello ${name}`);
      const watcher = await connect();
      await watcher.line('idle devices');
      const bye = await leaver.line(word);
      assert.equal(bye.text, 'goodbye');
      // The device list right after OK goodbye: no wait for the client to close.
      const list = records(await watcher.line('lista dispositivos'), 'device').map((d) => d.get('device'));
      assert.ok(!list.includes(name), `${name} not listed after goodbye: ${list.join(', ')}`);
      // The leaver never ends its side; the daemon closes the socket all the same, well before
      // the 5 s grace it gives a peer that does not read.
      const started = Date.now();
      await leaver.closed;
      assert.ok(Date.now() - started < 4000, 'closed once the answer was flushed');
    });
  }
});
