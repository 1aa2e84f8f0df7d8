/**
 * Calls (docs/protocol.md, Calls) over real sockets: the signalling commands, `changed: calls` to
 * both parties, the VOICE relay through the daemon's UDP port, and what a hostile peer tries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType, encodeDatagram, MAX_DATAGRAM_BYTES } from '../../common/datagram/codec.js';
import { encodeVoiceReport } from '../../common/datagram/voice-report.js';
import { TestClient, type Response } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';
import { UdpPeer } from '../helpers/udp-peer.js';

let library: FixtureLibrary;
let daemon: TestDaemon;
const closers: Array<() => void> = [];

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root);
});
after(async () => {
  for (const close of closers) close();
  await daemon.stop();
  library.cleanup();
});

interface Device {
  tcp: TestClient;
  udp: UdpPeer;
}
const field = (response: Response, key: string): string => response.fields.find(([k]) => k === key)?.[1] ?? '';
async function device(name: string, register = true): Promise<Device> {
  const tcp = (await TestClient.connect(daemon.port)).client;
  const udp = await UdpPeer.open(daemon.udpPort);
  closers.push(
    () => tcp.close(),
    () => udp.close(),
  );
  const answer = register
    ? await tcp.command('register', name, '-', String(udp.port))
    : await tcp.command('hello', name);
  assert.equal(answer.ok, true, answer.text);
  return { tcp, udp };
}
const voice = (call: number, token: string, sequence: number, packet: Buffer): Buffer =>
  encodeDatagram({
    type: DatagramType.VOICE,
    stream: call,
    sequence,
    position: sequence * 960,
    payload: Buffer.concat([Buffer.from(token, 'hex'), packet]),
  });
const counters = () => ({ ...daemon.server.services.voiceCounters });

describe('call signalling', () => {
  it('register, get, call, answer, hangup, calls: every state, both parties told', async () => {
    const alice = await device('alice');
    const bob = await device('bob');
    const bobEvents = (await TestClient.connect(daemon.port)).client;
    closers.push(() => bobEvents.close());
    assert.equal((await bobEvents.command('hello', 'bob')).ok, true);

    const got = await alice.tcp.command('get', 'BOB');
    assert.equal(field(got, 'device'), 'bob');
    assert.equal(field(got, 'calls'), 'yes');
    assert.equal(field(got, 'voice'), `127.0.0.1:${bob.udp.port}`);
    const woken = bobEvents.command('idle', 'calls');
    await sleep(50);
    const called = await alice.tcp.command('call', 'bob');
    assert.equal(called.ok, true, called.text);
    const id = field(called, 'call');
    assert.deepEqual((await woken).fields, [['changed', 'calls']], 'bob hears of the ring on his other connection');

    const ringing = await bob.tcp.command('calls');
    assert.deepEqual(
      ringing.fields.filter(([k]) => ['call', 'from', 'to', 'state'].includes(k)),
      [
        ['call', id],
        ['from', 'alice'],
        ['to', 'bob'],
        ['state', 'ringing'],
      ],
    );
    const bobToken = field(ringing, 'token');
    const aliceToken = field(await alice.tcp.command('calls'), 'token');
    assert.match(bobToken, /^[0-9a-f]{16}$/);
    assert.notEqual(bobToken, aliceToken, 'each party sees its own token only');

    assert.equal((await bob.tcp.command('answer', id, 'y')).ok, true);
    assert.equal(field(await alice.tcp.command('calls'), 'state'), 'active');
    assert.equal((await bob.tcp.command('encerrar', id)).ok, true);
    const ended = await alice.tcp.command('calls');
    assert.deepEqual([field(ended, 'state'), field(ended, 'reason')], ['ended', 'hangup']);
    assert.ok(field(ended, 'ended'));
  });

  it('refuses, with section 5’s codes: oneself, unknown, unregistered, busy, another’s call, another’s address', async () => {
    const carol = await device('carol');
    const dave = await device('dave');
    await device('erin', false); // hello only: not callable
    const table: Array<[TestClient, string[], string]> = [
      [carol.tcp, ['call', 'carol'], 'bad_argument'],
      [carol.tcp, ['convite', 'nobody'], 'not_found'],
      [carol.tcp, ['call', 'erin'], 'unavailable'],
      [carol.tcp, ['register', 'carol', '10.1.2.3', '5000'], 'permission'],
      [carol.tcp, ['register', 'carol', 'not-an-ip', '5000'], 'bad_argument'],
      [carol.tcp, ['register', 'carol', '-', '70000'], 'bad_argument'],
      [carol.tcp, ['get', 'nobody'], 'not_found'],
      [carol.tcp, ['disconnect', 'dave'], 'permission'],
      [carol.tcp, ['answer', '1', 'maybe'], 'bad_argument'],
      [carol.tcp, ['hangup', 'x'], 'bad_argument'],
    ];
    for (const [client, command, expected] of table)
      assert.equal((await client.command(...(command as [string, ...string[]]))).code, expected, command.join(' '));
    const id = field(await carol.tcp.command('call', 'dave'), 'call');
    const frank = await device('frank');
    assert.equal((await frank.tcp.command('call', 'dave')).code, 'busy', 'dave is ringing');
    assert.equal((await frank.tcp.command('answer', id, 'yes')).code, 'not_found', 'not frank’s call');
    assert.equal((await frank.tcp.command('hangup', id)).code, 'not_found', 'not frank’s call');
    assert.equal((await carol.tcp.command('answer', id, 'yes')).code, 'permission', 'only the callee answers');
    assert.equal((await dave.tcp.command('answer', id, 'reject')).ok, true);
    assert.equal(field(await carol.tcp.command('calls'), 'reason'), 'rejected');
  });

  it('a party whose last connection closes ends the call as gone; disconnect unregisters and closes', async () => {
    const gina = await device('gina');
    const hugo = await device('hugo');
    const id = field(await gina.tcp.command('call', 'hugo'), 'call');
    gina.tcp.close();
    await until('the call ended', async () =>
      field(await hugo.tcp.command('calls'), 'state') === 'ended' ? true : undefined,
    );
    const record = await hugo.tcp.command('calls');
    assert.deepEqual([field(record, 'call'), field(record, 'reason')], [id, 'gone']);
    const bye = await hugo.tcp.command('disconnect', 'hugo');
    assert.deepEqual([bye.ok, bye.text], [true, 'goodbye']);
    await hugo.tcp.closed;
  });

  it('a name held from one host cannot be claimed from another: no call, voice address or token changes hands', async () => {
    const kate = await device('kate');
    const liam = await device('liam');
    const id = field(await kate.tcp.command('call', 'liam'), 'call');
    assert.equal((await liam.tcp.command('answer', id, 'accept')).ok, true);
    const liamVoice = field(await kate.tcp.command('get', 'liam'), 'voice');
    // Mallory, on another host (127.0.0.2), claims liam's name both ways.
    const mallory = (await TestClient.connect(daemon.port, '127.0.0.1', '127.0.0.2')).client;
    const malloryUdp = await UdpPeer.open(daemon.udpPort);
    closers.push(
      () => mallory.close(),
      () => malloryUdp.close(),
    );
    for (const claim of [
      ['register', 'liam', '-', String(malloryUdp.port)],
      ['hello', 'LIAM'],
    ]) {
      const answer = await mallory.command(...(claim as [string, ...string[]]));
      assert.deepEqual([answer.ok, answer.code], [false, 'busy'], claim.join(' '));
      assert.match(answer.text, /in use by a device on another host/);
    }
    assert.equal(field(await kate.tcp.command('get', 'liam'), 'voice'), liamVoice, 'the voice address stays liam’s');
    const seen = await mallory.command('calls');
    assert.equal(field(seen, 'token'), '', 'no token of liam’s call');
    assert.equal(field(await liam.tcp.command('calls'), 'state'), 'active', 'the call goes on');
    // Liam's own further connection, from his host, joins his device as the player's do.
    const liamEvents = (await TestClient.connect(daemon.port)).client;
    closers.push(() => liamEvents.close());
    assert.equal((await liamEvents.command('hello', 'liam')).ok, true);
    // Once every connection of liam's is gone, the name is free for any host.
    liam.tcp.close();
    liamEvents.close();
    await until('the name free', async () => ((await mallory.command('hello', 'liam')).ok ? true : undefined));
  });

  it('1,000 call commands in a burst: one rings, the rest are busy, and the daemon serves on', async () => {
    const ivan = await device('ivan');
    await device('judy');
    ivan.tcp.send('call judy\n'.repeat(1000));
    const answers: Response[] = [];
    for (let i = 0; i < 1000; i++) answers.push(await ivan.tcp.next());
    assert.equal(answers.filter((answer) => answer.ok).length, 1);
    assert.equal(answers.filter((answer) => answer.code === 'busy').length, 999);
    assert.equal(daemon.server.services.calls.counts.ringing >= 1, true);
    assert.equal((await ivan.tcp.command('ping')).ok, true);
  });
});

describe('the voice relay', () => {
  it('forwards each VOICE of an active call to the other party’s proven address, token left out; drops everything else', async () => {
    const kim = await device('kim');
    const lee = await device('lee');
    const stranger = await UdpPeer.open(daemon.udpPort);
    closers.push(() => stranger.close());
    const id = Number(field(await kim.tcp.command('call', 'lee'), 'call'));
    const kimToken = field(await kim.tcp.command('calls'), 'token');
    const leeToken = field(await lee.tcp.command('calls'), 'token');
    const packet = Buffer.from('an opus packet of 20 ms');

    let before = counters();
    kim.udp.send(voice(id, kimToken, 0, packet));
    await until('counted', () => (counters().droppedNotActive > before.droppedNotActive ? true : undefined));

    assert.equal((await lee.tcp.command('answer', String(id), 'accept')).ok, true);
    before = counters();
    kim.udp.send(voice(id, kimToken, 1, packet)); // lee has not proven an address yet
    await until('dropped: nowhere proven', () =>
      counters().droppedUnproven > before.droppedUnproven ? true : undefined,
    );
    lee.udp.send(voice(id, leeToken, 0, Buffer.from('lee speaks')));
    await kim.udp.until(() => kim.udp.of(DatagramType.VOICE).length === 1);
    const heard = kim.udp.of(DatagramType.VOICE)[0];
    assert.deepEqual(
      [heard?.stream, heard?.sequence, heard?.position, heard?.payload.toString()],
      [id, 0, 0, 'lee speaks'],
    );
    assert.equal(
      heard?.size,
      voice(id, leeToken, 0, Buffer.from('lee speaks')).length - 8,
      'never larger than what came in',
    );
    kim.udp.send(voice(id, kimToken, 2, packet));
    await lee.udp.until(() => lee.udp.of(DatagramType.VOICE).length === 1);
    assert.deepEqual(lee.udp.of(DatagramType.VOICE)[0]?.payload, packet);
    // A receiver report goes the same way, as what it is.
    const report = encodeVoiceReport({ echo: 0, heldMs: 0, received: 50, lost: 1, late: 0, jitterUs: 800 });
    lee.udp.send(
      encodeDatagram({
        type: DatagramType.VOICE_REPORT,
        stream: id,
        sequence: 0,
        position: 123,
        payload: Buffer.concat([Buffer.from(leeToken, 'hex'), report]),
      }),
    );
    await kim.udp.until(() => kim.udp.of(DatagramType.VOICE_REPORT).length === 1);
    assert.deepEqual(kim.udp.of(DatagramType.VOICE_REPORT)[0]?.payload, report, 'token left out');
    assert.equal(kim.udp.of(DatagramType.VOICE_REPORT)[0]?.position, 123);

    // Hostile datagrams: each counted by its reason, none forwarded.
    before = counters();
    const received = kim.udp.received.length + lee.udp.received.length;
    const wrongToken = (BigInt(`0x${kimToken}`) ^ 1n).toString(16).padStart(16, '0');
    stranger.send(voice(id, wrongToken, 3, packet));
    stranger.send(
      encodeDatagram({
        type: DatagramType.VOICE_REPORT,
        stream: id,
        sequence: 1,
        position: 0,
        payload: Buffer.concat([Buffer.from(wrongToken, 'hex'), report]),
      }),
    );
    kim.udp.send(voice(id + 1, kimToken, 3, packet));
    kim.udp.send(
      encodeDatagram({
        type: DatagramType.VOICE,
        stream: id,
        sequence: 4,
        position: 0,
        payload: Buffer.from(kimToken, 'hex'),
      }),
    );
    kim.udp.send(Buffer.concat([voice(id, kimToken, 5, packet), Buffer.alloc(MAX_DATAGRAM_BYTES)]));
    const spoof = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => spoof.bind(0, '127.0.0.2', resolve));
    closers.push(() => spoof.close());
    spoof.send(voice(id, kimToken, 6, packet), daemon.udpPort, '127.0.0.1'); // the right token from another IP
    await until('all counted', () => {
      const now = counters();
      return now.droppedBadToken > before.droppedBadToken &&
        now.droppedNotActive > before.droppedNotActive &&
        now.droppedTruncated > before.droppedTruncated &&
        now.droppedBadAddress > before.droppedBadAddress
        ? true
        : undefined;
    });
    await sleep(100);
    assert.equal(kim.udp.received.length + lee.udp.received.length, received, 'nothing forwarded');
    assert.equal(stranger.received.length, 0, 'nothing to an address that proved nothing');

    // Ended: nothing more is relayed.
    assert.equal((await kim.tcp.command('hangup', String(id))).ok, true);
    before = counters();
    lee.udp.send(voice(id, leeToken, 1, packet));
    await until('dropped: ended', () => (counters().droppedNotActive > before.droppedNotActive ? true : undefined));
    const stats = await kim.tcp.command('stats');
    assert.ok(Number(field(stats, 'voice_forwarded')) >= 2);
    assert.ok(Number(field(stats, 'voice_dropped_bad_address')) >= 1);
  });
});

describe('calls against floods (the daemon’s own limits, not the test helper’s lifted ones)', () => {
  let strict: TestDaemon;
  before(async () => {
    strict = await startTestDaemon(library.root, {
      calls: {
        max_per_address: 2,
        calls_per_minute: 10,
        rings_per_minute: 10,
        silent_timeout: 1,
        voice_packets_per_second: 100,
      },
    });
  });
  after(async () => {
    await strict.stop();
  });
  async function on(name: string, localAddress = '127.0.0.1'): Promise<Device> {
    const tcp = (await TestClient.connect(strict.port, '127.0.0.1', localAddress)).client;
    const udp = await UdpPeer.open(strict.udpPort);
    closers.push(
      () => tcp.close(),
      () => udp.close(),
    );
    assert.equal((await tcp.command('register', name, '-', String(udp.port))).ok, true);
    return { tcp, udp };
  }

  it('two callers ringing and hanging up in a loop ring their victim at most rings_per_minute times', async () => {
    const victim = await on('victim', '127.0.0.3');
    const callers = [await on('m1', '127.0.0.4'), await on('m2', '127.0.0.5')];
    let rang = 0;
    const refusals: string[] = [];
    for (let i = 0; i < 40; i++) {
      const caller = callers[i % 2] as Device;
      const answer = await caller.tcp.command('call', 'victim');
      if (answer.ok) {
        rang++;
        assert.equal((await caller.tcp.command('hangup', field(answer, 'call'))).ok, true);
      } else refusals.push(`${answer.code} ${answer.text}`);
    }
    assert.equal(rang, 10);
    assert.ok(
      refusals.every((text) => /^busy .*try again in \d+ s$/.test(text)),
      refusals[0],
    );
    assert.equal((await victim.tcp.command('ping')).ok, true, 'the victim’s connection serves on');
  });

  it('caps the live calls with a party on one address', async () => {
    const [a1, , a3, , a5] = [
      await on('a1', '127.0.0.6'),
      await on('a2', '127.0.0.6'),
      await on('a3', '127.0.0.6'),
      await on('a4', '127.0.0.6'),
      await on('a5', '127.0.0.6'),
      await on('a6', '127.0.0.6'),
    ];
    assert.equal((await a1?.tcp.command('call', 'a2'))?.ok, true);
    assert.equal((await a3?.tcp.command('call', 'a4'))?.ok, true);
    const third = await a5?.tcp.command('call', 'a6');
    assert.deepEqual([third?.ok, third?.code], [false, 'busy']);
    assert.match(third?.text ?? '', /2 calls are in progress with 127\.0\.0\.6/);
  });

  it('a party flooding VOICE has a call’s worth relayed, the rest dropped and counted; a silent call ends', async () => {
    const flooder = await on('flooder'); // from 127.0.0.1, where its UDP socket is too
    const listener = await on('listener');
    const id = Number(field(await flooder.tcp.command('call', 'listener'), 'call'));
    assert.equal((await listener.tcp.command('answer', String(id), 'yes')).ok, true);
    const floodToken = field(await flooder.tcp.command('calls'), 'token');
    const listenToken = field(await listener.tcp.command('calls'), 'token');
    listener.udp.send(voice(id, listenToken, 0, Buffer.from('proves the address')));
    await until('the listener proven', () =>
      strict.server.services.voiceCounters.droppedUnproven > 0 ? true : undefined,
    );
    const started = performance.now();
    for (let sequence = 0; sequence < 2000; sequence++)
      flooder.udp.send(voice(id, floodToken, sequence, Buffer.alloc(1200, 7)));
    await until('the flood counted', () =>
      strict.server.services.voiceCounters.droppedRate + strict.server.services.voiceCounters.forwarded >= 1900
        ? true
        : undefined,
    );
    const seconds = (performance.now() - started) / 1000;
    const { forwarded, droppedRate } = strict.server.services.voiceCounters;
    assert.ok(forwarded <= 100 + Math.ceil(100 * seconds) + 1, `${forwarded} relayed in ${seconds.toFixed(2)} s`);
    assert.ok(droppedRate >= 1500, `${droppedRate} dropped over the rate`);
    // Then neither speaks: silent_timeout (1 s here) ends the call.
    const ended = await until(
      'the silent call ended',
      async () => {
        const record = await listener.tcp.command('calls');
        return field(record, 'state') === 'ended' ? field(record, 'reason') : undefined;
      },
      10_000,
    );
    assert.equal(ended, 'silent');
  });
});
