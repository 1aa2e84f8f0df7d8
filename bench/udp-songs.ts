/**
 * Songs over UDP vs TCP: the time from asking to having every block of a song whole and checked
 * (what the player caches), by `download` over TCP and by `stream` over UDP through a lossy relay
 * (0%, 5%, 20% dropped, plus 5% reordered and 2% duplicated) with repair by `resend`.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DownloadHandlers } from '../tui/daemon-link/daemon-client.js';
import { DaemonClient } from '../tui/daemon-link/daemon-client.js';
import { UdpDownloader } from '../tui/daemon-link/udp-downloader.js';
import { DatagramType } from '../common/datagram/codec.js';
import { tokenDatagram } from '../common/datagram/messages.js';
import { TestClient } from '../test/helpers/client.js';
import { until } from '../test/helpers/log-capture.js';
import { lossyRelay } from '../test/helpers/lossy-relay.js';
import { benchLibrary, freePort, median, spawnDaemon, table } from './lib.js';

const RUNS = 3;
const HANDSHAKES = 50;
const SONG = 1;

const counting = (): DownloadHandlers & { bytes: number; blocks: number } => {
  const handlers = {
    bytes: 0,
    blocks: 0,
    onBlock: () => handlers.blocks++,
    onData: (_index: number, bytes: Buffer) => (handlers.bytes += bytes.length),
    onBlockEnd: () => {},
  };
  return handlers;
};

async function measure(rateKbps: number): Promise<Array<Array<string | number>>> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-udp-'));
  const config = path.join(state, 'config.json');
  writeFileSync(config, JSON.stringify({ udp: { stream_rate_kbps: rateKbps } }));
  const udpPort = await freePort();
  const daemon = await spawnDaemon(benchLibrary(20, 120), state, await freePort(), [
    '--config',
    config,
    '--udp-port',
    String(udpPort),
  ]);
  const client = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'bench' });
  client.start();
  await until('online', () => client.online || undefined);
  const rows: Array<Array<string | number>> = [];
  try {
    if (rateKbps === 16_000) {
      const times: number[] = [];
      let bytes = 0;
      for (let run = 0; run < RUNS; run++) {
        const handlers = counting();
        const t0 = performance.now();
        await client.download(SONG, 0, undefined, handlers);
        times.push(performance.now() - t0);
        bytes = handlers.bytes;
      }
      rows.push(['TCP `download`', '-', '-', `${(bytes / 1e6).toFixed(2)} MB`, `${median(times).toFixed(0)} ms`, '-']);
    }
    for (const loss of [0, 0.05, 0.2]) {
      const times: number[] = [];
      const resent: number[] = [];
      let bytes = 0;
      for (let run = 0; run < RUNS; run++) {
        const downloader = new UdpDownloader(client, { host: '127.0.0.1', port: udpPort });
        const relay = await lossyRelay(
          { forwardTo: await downloader.open(), upstreamPort: udpPort },
          { loss, reorder: 0.05, duplicate: 0.02, delayMs: 20, seed: run + 1 },
        );
        downloader.advertisedPort = relay.port;
        downloader.keepalivePort = relay.port;
        const handlers = counting();
        const t0 = performance.now();
        await downloader.download(SONG, 0, undefined, handlers);
        times.push(performance.now() - t0);
        resent.push(downloader.resendRequested);
        bytes = handlers.bytes;
        downloader.close();
        relay.close();
      }
      rows.push([
        'UDP `stream` + `resend`',
        `${loss * 100}%`,
        `${(rateKbps / 1000).toFixed(0)} Mbit/s`,
        `${(bytes / 1e6).toFixed(2)} MB`,
        `${median(times).toFixed(0)} ms`,
        Math.round(median(resent)),
      ]);
    }
  } finally {
    client.close();
    await daemon.stop();
    rmSync(state, { recursive: true, force: true });
  }
  return rows;
}

/**
 * What protocol 1.2's proof costs a stream: from `stream` to its answer, and from the answer (the
 * KEEPALIVE sent) to the first datagram, which before 1.2 followed the answer at once.
 */
async function handshake(): Promise<string> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-handshake-'));
  const udpPort = await freePort();
  const daemon = await spawnDaemon(benchLibrary(20, 120), state, await freePort(), ['--udp-port', String(udpPort)]);
  const tcp = (await TestClient.connect(daemon.port)).client;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const answers: number[] = [];
  const proofs: number[] = [];
  try {
    for (let run = 0; run < HANDSHAKES; run++) {
      const t0 = performance.now();
      const response = await tcp.command('stream', SONG, socket.address().port, 3, 3);
      const t1 = performance.now();
      const field = (key: string): string => response.fields.find(([k]) => k === key)?.[1] ?? '';
      const first = new Promise<number>((resolve) => socket.once('message', () => resolve(performance.now())));
      socket.send(
        tokenDatagram(DatagramType.KEEPALIVE, Number(field('stream')), Buffer.from(field('token'), 'hex')),
        udpPort,
        '127.0.0.1',
      );
      proofs.push((await first) - t1);
      answers.push(t1 - t0);
      socket.send(
        tokenDatagram(DatagramType.LEAVE, Number(field('stream')), Buffer.from(field('token'), 'hex')),
        udpPort,
        '127.0.0.1',
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.removeAllListeners('message');
    }
  } finally {
    socket.close();
    tcp.close();
    await daemon.stop();
    rmSync(state, { recursive: true, force: true });
  }
  return table(
    ['`stream` to its answer', 'KEEPALIVE to the first datagram (the proof)', 'runs'],
    [[`${median(answers).toFixed(2)} ms`, `${median(proofs).toFixed(2)} ms`, HANDSHAKES]],
  );
}

export async function udpSongsBench(): Promise<string> {
  const rows = [...(await measure(16_000)), ...(await measure(160_000))];
  const proof = await handshake();
  return [
    `A 120 s, 128 kbit/s MP3 (4 blocks); median of ${RUNS} runs. The relay runs in the client's process on loopback; ` +
      'UDP time is bound by the pacing (`udp.stream_rate_kbps`, default 16,000) plus the repair rounds.',
    '',
    table(['transport', 'loss', 'pacing', 'song', 'time to complete song', 'packets asked again'], rows),
    '',
    `The stream handshake (protocol 1.2), median of ${HANDSHAKES} streams of one block on loopback: the proof adds one datagram round trip before the first byte.`,
    '',
    proof,
  ].join('\n');
}
