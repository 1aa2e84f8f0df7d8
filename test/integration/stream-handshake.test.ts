/**
 * Protocol 1.2's stream handshake, and the caps on song streams (item 2): nothing
 * goes to a port until a KEEPALIVE with the stream's token comes from exactly that address and
 * port; a LEAVE or silence stops it; streams are capped per address and in all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType } from '../../common/datagram/codec.js';
import { tokenDatagram } from '../../common/datagram/messages.js';
import { PROOF_WAIT_MS } from '../../daemon/udp/song-streams.js';
import { TestClient, type Response } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';
import { UdpPeer } from '../helpers/udp-peer.js';

let library: FixtureLibrary;
let daemon: TestDaemon;
let tcp: TestClient;
const closers: Array<() => void> = [];
const peer = async (port = daemon.udpPort): Promise<UdpPeer> => {
  const opened = await UdpPeer.open(port);
  closers.push(() => opened.close());
  return opened;
};
const field = (response: Response, key: string): string => response.fields.find(([k]) => k === key)?.[1] ?? '';

before(async () => {
  library = makeFixtureLibrary();
  // Slow enough that a stream is still sending when the test looks; silence is 1 s.
  daemon = await startTestDaemon(library.root, { udp: { stream_rate_kbps: 400, listener_timeout: 1 } });
  tcp = (await TestClient.connect(daemon.port)).client;
});
after(async () => {
  for (const close of closers) close();
  tcp.close();
  await daemon.stop();
  library.cleanup();
});

describe('the stream handshake (protocol 1.2)', () => {
  it('sends nothing to a port that never proves itself, refuses resend for it, and drops it after 10 s', async () => {
    const listener = await peer();
    const sentBefore = daemon.server.services.udpCounters.bytesSent;
    const unprovenBefore = daemon.server.services.udpCounters.streamsUnproven;
    const response = await tcp.command('stream', 'lamejs-cbr.mp3', String(listener.port));
    assert.equal(response.ok, true, response.text);
    const id = field(response, 'stream');
    assert.match(field(response, 'token'), /^[0-9a-f]{16}$/);
    assert.equal((await tcp.command('resend', id, '0-5')).code, 'bad_argument', 'resend serves proven streams only');
    await until(
      'the stream dropped',
      () => (daemon.server.services.streams.owns(Number(id)) ? undefined : true),
      PROOF_WAIT_MS + 3000,
    );
    assert.equal(listener.received.length, 0, 'not one datagram to the unproven port');
    assert.equal(daemon.server.services.udpCounters.bytesSent, sentBefore, 'not one byte sent for it');
    assert.equal(daemon.server.services.udpCounters.streamsUnproven, unprovenBefore + 1);
    assert.equal((await tcp.command('resend', id, '0')).code, 'not_found');
  });

  it('takes the proof only with the right stream id and token, from exactly the named address and port', async () => {
    const listener = await peer();
    const stranger = await peer();
    const response = await tcp.command('stream', 'wav/code-16bit.wav', String(listener.port), '0', '0');
    const id = Number(field(response, 'stream'));
    const token = field(response, 'token');
    const malformedBefore = daemon.server.services.udpCounters.malformed;
    const wrongToken = (Buffer.from(token, 'hex').readBigUInt64BE() ^ 1n).toString(16).padStart(16, '0');
    listener.proveStream(id, wrongToken); // a wrong token
    stranger.proveStream(id, token); // the right token from another port
    listener.proveStream(id + 1, token); // another stream's id (or none)
    // The right port number and token, from another address of the host.
    const spoof = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => spoof.bind(listener.port, '127.0.0.2', resolve));
    closers.push(() => spoof.close());
    spoof.send(tokenDatagram(DatagramType.KEEPALIVE, id, Buffer.from(token, 'hex')), daemon.udpPort, '127.0.0.1');
    await until('the bad proofs counted', () =>
      daemon.server.services.udpCounters.malformed >= malformedBefore + 4 ? true : undefined,
    );
    await sleep(200);
    assert.equal(listener.received.length + stranger.received.length, 0, 'nothing flows before the proof');
    listener.proveStream(id, token);
    await listener.until(() => listener.of(DatagramType.AUDIO).length >= 20);
    assert.deepEqual(
      listener
        .of(DatagramType.AUDIO)
        .map((datagram) => datagram.sequence)
        .slice(0, 20),
      [...Array(20).keys()],
      'from the first packet on',
    );
    assert.equal(stranger.received.length, 0);
    listener.proveStream(id, token, DatagramType.LEAVE);
    await until('the stream stopped', () => (daemon.server.services.streams.owns(id) ? undefined : true));
  });

  it('stops at a LEAVE with the token, and when the port falls silent for listener_timeout', async () => {
    const leaving = await peer();
    const first = await tcp.command('stream', 'lamejs-cbr.mp3', String(leaving.port));
    leaving.proveStream(field(first, 'stream'), field(first, 'token'));
    await leaving.until(() => leaving.of(DatagramType.AUDIO).length > 0);
    leaving.proveStream(field(first, 'stream'), field(first, 'token'), DatagramType.LEAVE);
    await until('the stream stopped', () =>
      daemon.server.services.streams.owns(Number(field(first, 'stream'))) ? undefined : true,
    );
    const atLeave = leaving.received.length;
    await sleep(300);
    assert.ok(leaving.received.length <= atLeave + 16, 'at most the burst in flight after LEAVE');
    assert.ok(leaving.of(DatagramType.END).length === 0, 'a stream stopped early sends no END');

    const silent = await peer();
    const silentBefore = daemon.server.services.udpCounters.streamsSilent;
    const second = await tcp.command('stream', 'lamejs-cbr.mp3', String(silent.port));
    silent.proveStream(field(second, 'stream'), field(second, 'token'));
    await silent.until(() => silent.of(DatagramType.AUDIO).length > 0);
    const started = Date.now();
    await until(
      'the silent stream stopped',
      () => (daemon.server.services.streams.owns(Number(field(second, 'stream'))) ? undefined : true),
      4000,
    );
    assert.ok(Date.now() - started >= 700, 'not before listener_timeout');
    assert.equal(daemon.server.services.udpCounters.streamsSilent, silentBefore + 1);
  });
});

describe('caps on song streams', () => {
  it('per client address and in all: ERR busy beyond them; a connection at its own cap replaces its oldest', async () => {
    const capped = await startTestDaemon(library.root, {
      udp: { stream_rate_kbps: 64, max_streams_per_connection: 2, max_streams_per_address: 3, max_streams: 4 },
    });
    try {
      const listener = await UdpPeer.open(capped.udpPort);
      closers.push(() => listener.close());
      const a = (await TestClient.connect(capped.port)).client;
      const b = (await TestClient.connect(capped.port)).client;
      const c = (await TestClient.connect(capped.port, '127.0.0.1', '127.0.0.2')).client;
      closers.push(() => [a, b, c].forEach((client) => client.close()));
      const stream = (client: TestClient): Promise<Response> =>
        client.command('stream', 'lamejs-cbr.mp3', String(listener.port), '0', '0');
      assert.equal((await stream(a)).ok, true);
      assert.equal((await stream(a)).ok, true);
      assert.equal((await stream(b)).ok, true);
      const busy = await stream(b);
      assert.equal(busy.code, 'busy', busy.text);
      assert.match(busy.text, /3 song streams go to 127\.0\.0\.1/);
      assert.equal((await stream(a)).ok, true, 'a connection at its own cap replaces its oldest');
      assert.equal(capped.server.services.streams.active, 3);
      assert.equal((await stream(c)).ok, true, 'another address has its own share');
      const full = await stream(c);
      assert.equal(full.code, 'busy');
      assert.match(full.text, /4 song streams are running/);
    } finally {
      await capped.stop();
    }
  });
});
