import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType } from '../../common/datagram/codec.js';
import type { BlockHeader } from '../../common/protocol/response.js';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { UdpDownloader } from '../../tui/daemon-link/udp-downloader.js';
import { TestClient, type Response } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';
import { lossyRelay } from '../helpers/lossy-relay.js';
import { UdpPeer } from '../helpers/udp-peer.js';

let library: FixtureLibrary;
let daemon: TestDaemon;
let slow: TestDaemon;
let tcp: TestClient;
const peers: UdpPeer[] = [];
const peer = async (): Promise<UdpPeer> => {
  const opened = await UdpPeer.open(daemon.udpPort);
  peers.push(opened);
  return opened;
};

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root, { udp: { stream_rate_kbps: 200_000 } });
  slow = await startTestDaemon(library.root, { udp: { stream_rate_kbps: 2000 } });
  tcp = (await TestClient.connect(daemon.port)).client;
});
after(async () => {
  for (const opened of peers) opened.close();
  tcp.close();
  await daemon.stop();
  await slow.stop();
  library.cleanup();
});

const field = (response: Response, key: string): string => response.fields.find(([k]) => k === key)?.[1] ?? '';
/** `stream`, then the KEEPALIVE that lets the datagrams flow to `listener`. */
const startStream = async (client: TestClient, listener: UdpPeer, ...args: string[]): Promise<Response> => {
  const response = await client.command('stream', args[0] as string, String(listener.port), ...args.slice(1));
  assert.equal(response.ok, true, response.text);
  listener.proveStream(field(response, 'stream'), field(response, 'token'));
  return response;
};
const downloadBytes = async (song: string, first?: number, last?: number): Promise<Buffer> => {
  const args = [song, ...(first === undefined ? [] : [String(first)]), ...(last === undefined ? [] : [String(last)])];
  const response = await tcp.command('download', ...args);
  assert.equal(response.ok, true, response.text);
  return Buffer.concat(response.blocks.map((block) => block.data));
};
const audioBytes = (listener: UdpPeer): Buffer => {
  const bySequence = new Map<number, Buffer>();
  for (const datagram of listener.of(DatagramType.AUDIO)) bySequence.set(datagram.sequence, datagram.payload);
  return Buffer.concat(
    [...bySequence.keys()].sort((a, b) => a - b).map((sequence) => bySequence.get(sequence) as Buffer),
  );
};

describe('stream: a song over UDP', () => {
  it('answers with the song record, stream, packets, packet_bytes and the blocks, then sends every byte and END', async () => {
    const listener = await peer();
    const response = await startStream(tcp, listener, 'lame/vbr-xing.mp3');
    assert.equal(field(response, 'file'), 'lame/vbr-xing.mp3');
    assert.match(field(response, 'token'), /^[0-9a-f]{16}$/);
    const packets = Number(field(response, 'packets'));
    const packetBytes = Number(field(response, 'packet_bytes'));
    assert.equal(packetBytes, 1384);
    assert.equal(response.fields.filter(([k]) => k === 'stream_block').length, 3);
    await listener.until(() => listener.of(DatagramType.END).length === 1);
    const audio = listener.of(DatagramType.AUDIO);
    assert.equal(audio.length, packets);
    audio.forEach((datagram, i) => {
      assert.equal(datagram.sequence, i);
      assert.equal(datagram.position, i * packetBytes, 'position is the byte offset in the stream');
      assert.equal(datagram.stream, Number(field(response, 'stream')));
    });
    assert.deepEqual(audioBytes(listener), await downloadBytes('lame/vbr-xing.mp3'));
  });

  it('sends a range of blocks, and resends the sequence numbers asked for, then END again', async () => {
    const listener = await peer();
    const response = await startStream(tcp, listener, 'wav/code-16bit.wav', '1', '1');
    await listener.until(() => listener.of(DatagramType.END).length === 1);
    assert.deepEqual(audioBytes(listener), await downloadBytes('wav/code-16bit.wav', 1, 1));
    const before = listener.of(DatagramType.AUDIO).length;
    const resend = await tcp.command('resend', field(response, 'stream'), '0-2,5');
    assert.equal(resend.ok, true, resend.text);
    await listener.until(() => listener.of(DatagramType.END).length === 2);
    assert.deepEqual(
      listener
        .of(DatagramType.AUDIO)
        .slice(before)
        .map((d) => d.sequence),
      [0, 1, 2, 5],
    );
  });

  it('refuses what it cannot do with a clear error', async () => {
    const cases: Array<[string[], string]> = [
      [['stream', 'no such song', '5000'], 'not_found'],
      [['stream', 'lamejs-cbr.mp3', '0'], 'bad_argument'],
      [['stream', 'lamejs-cbr.mp3', '70000'], 'bad_argument'],
      [['stream', 'lamejs-cbr.mp3', 'port'], 'bad_argument'],
      [['stream', 'lamejs-cbr.mp3', '5000', '9'], 'bad_argument'],
      [['stream', '../../etc/passwd', '5000'], 'not_found'],
      [['resend', '12345', '0'], 'not_found'],
      [['resend', 'x', '0'], 'bad_argument'],
    ];
    for (const [command, code] of cases) {
      const response = await tcp.command(...(command as [string, ...string[]]));
      assert.equal(response.code, code, `${command.join(' ')}: ${response.text}`);
    }
    const listener = await peer();
    const response = await startStream(tcp, listener, 'lamejs-cbr.mp3');
    const id = field(response, 'stream');
    for (const ranges of ['0-', '5-2', '999999', 'a,b', '1,,2'])
      assert.equal((await tcp.command('resend', id, ranges)).code, 'bad_argument', ranges);
    // Another connection cannot touch this one's stream.
    const other = (await TestClient.connect(daemon.port)).client;
    assert.equal((await other.command('resend', id, '0')).code, 'not_found');
    other.close();
  });

  it('paces at stream_rate_kbps, and forgets the stream when its TCP connection closes', async () => {
    const own = (await TestClient.connect(slow.port)).client;
    const listener = await UdpPeer.open(slow.udpPort);
    peers.push(listener);
    const response = await startStream(own, listener, 'lamejs-cbr.mp3');
    await listener.until(() => listener.of(DatagramType.AUDIO).length > 0);
    const started = Date.now();
    await sleep(1000); // the window the pace is measured over
    const bytes = listener.of(DatagramType.AUDIO).reduce((sum, d) => sum + d.payload.length, 0);
    const elapsed = Date.now() - started;
    // 2000 kbit/s is 250,000 bytes a second; a burst of 16 packets may run ahead of it.
    assert.ok(bytes <= (250_000 * elapsed) / 1000 + 16 * 1384, `${bytes} bytes in ${elapsed} ms`);
    assert.ok(bytes >= (250_000 * elapsed) / 1000 / 2, `${bytes} bytes in ${elapsed} ms`);
    assert.ok(listener.of(DatagramType.AUDIO).length < Number(field(response, 'packets')), 'still sending');
    own.close();
    await own.closed;
    await until('the stream forgotten', () => slow.server.services.streams.active === 0 || undefined);
    const atClose = listener.received.length;
    await sleep(500); // a window in which nothing must come
    assert.equal(listener.received.length, atClose, 'nothing after the TCP connection closed');
  });
});

describe('UDP song transfer with repair (the player’s downloader)', () => {
  for (const loss of [0, 0.2]) {
    it(`through a relay with ${loss * 100}% loss, reordering and duplicates, ends byte-identical to a TCP download`, async () => {
      const control = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'udp-test' });
      control.start();
      await until('online', () => control.online || undefined);
      const arrivals: number[] = [];
      const downloader = new UdpDownloader(control, { host: '127.0.0.1', port: daemon.udpPort });
      downloader.onArrival = (sequence) => arrivals.push(sequence);
      const relay = await lossyRelay(
        { forwardTo: await downloader.open(), upstreamPort: daemon.udpPort },
        { loss, reorder: 0.05, duplicate: 0.05, delayMs: 30, seed: 11 },
      );
      downloader.advertisedPort = relay.port;
      downloader.keepalivePort = relay.port;
      try {
        const blocks: Array<{ header: BlockHeader; bytes: Buffer[] }> = [];
        const reply = await downloader.download('lame/vbr-xing.mp3', 0, undefined, {
          onBlock: (header) => blocks.push({ header, bytes: [] }),
          onData: (index, bytes) => blocks.find((block) => block.header.index === index)?.bytes.push(bytes),
          onBlockEnd: () => {},
        });
        assert.equal(reply.ok, true);
        assert.deepEqual(
          blocks.map((block) => block.header.index),
          [0, 1, 2],
          'blocks handed over in order',
        );
        const viaTcp = await tcp.command('download', 'lame/vbr-xing.mp3');
        blocks.forEach((block, i) => {
          assert.deepEqual(Buffer.concat(block.bytes), viaTcp.blocks[i]!.data, `block ${i} byte-identical`);
          assert.equal(block.header.sha256, viaTcp.blocks[i]!.header.sha256);
        });
        if (loss > 0) {
          assert.ok(relay.counts.dropped > 0, 'the relay dropped datagrams');
          // First arrivals only (loss before repair): about 80% of the packets came the first time.
          const packets = Math.ceil(viaTcp.blocks.reduce((sum, block) => sum + block.data.length, 0) / 1384);
          assert.equal(new Set(arrivals).size, arrivals.length, 'each packet counted once');
          assert.ok(
            arrivals.length > 0.7 * packets && arrivals.length < 0.9 * packets,
            `${arrivals.length} first arrivals of ~${packets}`,
          );
          assert.ok(arrivals.length < relay.counts.audio, 'repairs are not counted as arrivals');
        }
      } finally {
        relay.close();
        downloader.close();
        control.close();
      }
    });
  }
});

describe('song streams and connections that vanish', () => {
  it('a stream whose connection resets while it opens leaves no stream and no open file behind', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const streamsBefore = daemon.server.services.streams.active; // other tests' connections keep theirs
    for (let i = 0; i < 300; i++) {
      const socket = net.connect(daemon.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`stream lamejs-cbr.mp3 9\n`);
      // Gone with a reset within a moment: before, while or after the daemon opens the file.
      await new Promise((resolve) => setTimeout(resolve, i % 3));
      socket.resetAndDestroy();
    }
    await until(
      'every stream forgotten',
      () => (daemon.server.services.streams.active <= streamsBefore ? true : undefined),
      5000,
    );
    await until('the files closed', () => (fds() <= before + 10 ? true : undefined), 5000);
  });
});
