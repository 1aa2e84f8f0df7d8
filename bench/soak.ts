/**
 * `npm run soak -- --minutes N`: one streamd process under churn for N minutes, everything on
 * loopback and bounded in count: clients that connect, list and quit; downloads cut off midway;
 * connections reset (RST) mid-line; idlers looping on `idle` while statuses change, and idlers that
 * close while idling; calls that ring, are answered with a little voice, rejected or hung up; radio
 * listeners joining, leaving or going silent; hostile lines. Every minute: the daemon's RSS, its
 * open file descriptors and its event-loop delay (`stats`). Flat means the last 10 minutes' RSS
 * within 5% of minutes 5-10's, and no growth of descriptors.
 */
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeDatagram, DatagramType, encodeDatagram } from '../common/datagram/codec.js';
import { parseAccept, subscribeDatagram, tokenDatagram } from '../common/datagram/messages.js';
import { TestClient } from '../test/helpers/client.js';
import { benchLibrary, freePort, machine, rssMiB, spawnDaemon, table } from './lib.js';

const IDLERS = 40;
/** Pairs of devices calling each other, each a call every 8-12 s (under calls.calls_per_minute). */
const CALL_PAIRS = 4;
const SONG_FILES = 10;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A VOICE datagram of a party: its token, then 40 bytes standing for an Opus packet. */
const voiceDatagram = (call: number, token: string, sequence: number): Buffer =>
  encodeDatagram({
    type: DatagramType.VOICE,
    stream: call,
    sequence,
    position: sequence * 960,
    payload: Buffer.concat([Buffer.from(token, 'hex'), Buffer.alloc(40, sequence)]),
  });
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;

interface Sample {
  minute: number;
  rss: number;
  fds: number;
  loopP99: number;
  loopMax: number;
  connections: number;
  listeners: number;
}

/** A socket that is connected and greeted, or undefined when the daemon refused it (full). */
async function rawConnect(port: number): Promise<net.Socket | undefined> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const greeting = await new Promise<string>((resolve) => {
    socket.once('data', (chunk) => resolve(chunk.toString()));
    socket.once('close', () => resolve(''));
  });
  if (!greeting.startsWith('OK')) {
    socket.destroy();
    return undefined;
  }
  return socket;
}

/** Runs `work` over and over until `until` says stop, with `pauseMs` between runs; errors are the churn. */
async function loop(until: () => boolean, pauseMs: number, work: () => Promise<void>): Promise<void> {
  while (!until()) {
    await work().catch(() => {});
    await sleep(pauseMs);
  }
}

export async function soak(minutes: number): Promise<string> {
  const root = benchLibrary(SONG_FILES, 90);
  const songs = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.mp3'));
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-soak-'));
  const udpPort = await freePort();
  const config = path.join(stateDir, 'streamd.json');
  // All the churn comes from 127.0.0.1: the per-address limit would refuse most of it.
  writeFileSync(config, JSON.stringify({ udp: { listener_timeout: 5 }, max_connections_per_address: 256 }), {
    mode: 0o600,
  });
  const daemon = await spawnDaemon(root, stateDir, await freePort(), [
    '--config',
    config,
    '--udp-port',
    String(udpPort),
  ]);
  const pid = daemon.child.pid as number;
  const port = daemon.port;
  const end = Date.now() + minutes * 60_000;
  const over = (): boolean => Date.now() >= end;
  const counts = {
    connects: 0,
    cutDownloads: 0,
    resets: 0,
    idleAnswers: 0,
    idlersGone: 0,
    calls: 0,
    statuses: 0,
    listens: 0,
    hostile: 0,
  };

  const workers: Array<Promise<void>> = [];
  // Clients that connect, list, and quit.
  workers.push(
    loop(over, 50, async () => {
      const socket = await rawConnect(port);
      if (!socket) return;
      socket.write('lista\nlista dispositivos\nquit\n');
      await new Promise((resolve) => socket.once('close', resolve));
      counts.connects++;
    }),
  );
  // Downloads cut off after a random share of the song.
  for (let w = 0; w < 3; w++) {
    workers.push(
      loop(over, 100, async () => {
        const socket = await rawConnect(port);
        if (!socket) return;
        const cutAt = 1000 + Math.floor(Math.random() * 500_000); // the songs are ~1.4 MB: always midway
        let got = 0;
        socket.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got >= cutAt) socket.destroy();
        });
        socket.write(`download "${pick(songs)}"\n`);
        await new Promise((resolve) => socket.once('close', resolve));
        counts.cutDownloads++;
      }),
    );
  }
  // Connections reset in the middle of a line or of a download.
  workers.push(
    loop(over, 200, async () => {
      const socket = await rawConnect(port);
      if (!socket) return;
      socket.write(Math.random() < 0.5 ? 'download "' : `download "${pick(songs)}"\n`);
      await sleep(Math.random() * 50);
      socket.resetAndDestroy();
      counts.resets++;
    }),
  );
  // Idlers, woken by the status changes below.
  for (let i = 0; i < IDLERS; i++) {
    workers.push(
      (async () => {
        while (!over()) {
          const client = await TestClient.connect(port)
            .then((c) => c.client)
            .catch(() => undefined);
          if (!client) {
            await sleep(500);
            continue;
          }
          try {
            // Each idler reconnects now and then: connection churn under idle.
            const until = Date.now() + 20_000 + Math.random() * 40_000;
            while (!over() && Date.now() < until) {
              client.send('idle devices radio\n');
              const answer = await Promise.race([client.next(), sleep(2000).then(() => undefined)]);
              if (!answer) {
                client.send('noidle\n');
                await client.next();
              }
              counts.idleAnswers++;
            }
          } catch {
            // closed under it: the churn
          } finally {
            client.close();
          }
        }
      })(),
    );
  }
  // Idlers that go away while idling (half-closed or closed outright): each must be let go at once.
  workers.push(
    loop(over, 100, async () => {
      const socket = await rawConnect(port);
      if (!socket) return;
      socket.write('idle calls\n');
      await sleep(Math.random() * 1000);
      if (Math.random() < 0.5) socket.end();
      else socket.destroy();
      await new Promise((resolve) => {
        socket.once('close', resolve);
        setTimeout(() => socket.destroy(), 5000);
      });
      counts.idlersGone++;
    }),
  );
  // Calls that ring and end: pairs of devices, each call answered (a little voice each way) or
  // rejected or hung up while ringing, at a pace under the daemon's flood limits.
  for (let pair = 0; pair < CALL_PAIRS; pair++) {
    workers.push(
      (async () => {
        const side = async (name: string): Promise<{ tcp: TestClient; udp: dgram.Socket }> => {
          const udp = dgram.createSocket('udp4');
          await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
          const tcp = (await TestClient.connect(port)).client;
          await tcp.command('register', name, '-', String(udp.address().port));
          return { tcp, udp };
        };
        const caller = await side(`caller-${pair}`);
        const callee = await side(`callee-${pair}`);
        const field = (fields: ReadonlyArray<readonly [string, string]>, key: string): string =>
          fields.find(([k]) => k === key)?.[1] ?? '';
        while (!over()) {
          const rang = await caller.tcp.command('call', `callee-${pair}`).catch(() => undefined);
          const id = rang?.ok ? field(rang.fields, 'call') : '';
          if (id) {
            const way = Math.random();
            if (way < 0.6) {
              await callee.tcp.command('answer', id, 'yes');
              for (const party of [caller, callee]) {
                const token = field((await party.tcp.command('calls')).fields, 'token');
                for (let sequence = 0; sequence < 25; sequence++)
                  party.udp.send(voiceDatagram(Number(id), token, sequence), udpPort, '127.0.0.1');
              }
              await sleep(1000);
              await caller.tcp.command('hangup', id).catch(() => undefined);
            } else if (way < 0.8) await callee.tcp.command('answer', id, 'no').catch(() => undefined);
            else await caller.tcp.command('hangup', id).catch(() => undefined);
            counts.calls++;
          }
          await sleep(8000 + Math.random() * 4000);
        }
        for (const party of [caller, callee]) {
          party.tcp.close();
          party.udp.close();
        }
      })(),
    );
  }
  // A device that changes its status twice a second.
  workers.push(
    (async () => {
      const client = (await TestClient.connect(port)).client;
      await client.line('hello soaker');
      while (!over()) {
        await client.line(`att status playing soak ${counts.statuses++}`).catch(() => undefined);
        await sleep(500);
      }
      client.close();
    })(),
  );
  // Radio listeners: join, keep alive for a while, then leave or fall silent.
  for (let w = 0; w < 4; w++) {
    workers.push(
      loop(over, 500, async () => {
        const socket = dgram.createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        let token: Buffer | undefined;
        let stream = 0;
        socket.on('message', (message) => {
          const decoded = decodeDatagram(message);
          if (decoded.ok && decoded.datagram.type === DatagramType.ACCEPT && !token) {
            const accept = parseAccept(decoded.datagram.payload);
            token = accept?.token;
            stream = decoded.datagram.stream;
          }
        });
        socket.send(subscribeDatagram(`soak-${w}`), udpPort, '127.0.0.1');
        const stayMs = 3000 + Math.random() * 12_000;
        const until = Date.now() + stayMs;
        while (Date.now() < until && !over()) {
          if (token) socket.send(tokenDatagram(DatagramType.KEEPALIVE, stream, token), udpPort, '127.0.0.1');
          await sleep(2000);
        }
        if (token && Math.random() < 0.7)
          socket.send(tokenDatagram(DatagramType.LEAVE, stream, token), udpPort, '127.0.0.1');
        await sleep(50);
        socket.close();
        counts.listens++;
      }),
    );
  }
  // Hostile lines: junk, unknown commands, quotes left open, an overlong line.
  workers.push(
    loop(over, 300, async () => {
      const socket = await rawConnect(port);
      if (!socket) return;
      const junk = [
        Buffer.from('frobnicate now\n'),
        Buffer.from('download "unterminated\n'),
        Buffer.from(`${'x'.repeat(5000)}\n`),
        Buffer.from([0xff, 0xfe, 0x0a]),
        Buffer.from('att status \x01\n'),
      ];
      socket.write(pick(junk));
      socket.write('quit\n');
      await new Promise((resolve) => {
        socket.once('close', resolve);
        setTimeout(() => socket.destroy(), 2000);
      });
      counts.hostile++;
    }),
  );

  const samples: Sample[] = [];
  for (let minute = 1; minute <= minutes; minute++) {
    await sleep(Math.max(0, end - (minutes - minute) * 60_000 - Date.now()));
    // A connection of its own each minute: one kept for the whole run would be timed out (60 s).
    const probe = (await TestClient.connect(port)).client;
    const stats = new Map((await probe.line('stats')).fields);
    probe.close();
    samples.push({
      minute,
      rss: rssMiB(pid),
      fds: readdirSync(`/proc/${pid}/fd`).length,
      loopP99: Number(stats.get('event_loop_delay_p99_ms')),
      loopMax: Number(stats.get('event_loop_delay_max_ms')),
      connections: Number(stats.get('connections')),
      listeners: Number(stats.get('listeners')),
    });
    process.stderr.write(`soak minute ${minute}: ${JSON.stringify(samples.at(-1))}\n`);
  }
  await Promise.all(workers);
  await daemon.stop();
  rmSync(stateDir, { recursive: true, force: true });

  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const rssOf = (from: number, to: number): number =>
    mean(samples.filter((s) => s.minute > from && s.minute <= to).map((s) => s.rss));
  const verdict =
    minutes >= 20
      ? (() => {
          const base = rssOf(5, 10);
          const lastTen = samples.filter((s) => s.minute > minutes - 10);
          const worst = Math.max(...lastTen.map((s) => Math.abs(s.rss - base) / base));
          const fdsAt5 = samples.find((s) => s.minute === 5)?.fds ?? 0;
          const fdsLast = Math.max(...lastTen.map((s) => s.fds));
          return `Verdict: RSS in the last 10 minutes within ${(100 * worst).toFixed(1)}% of minutes 5-10's mean (${base.toFixed(1)} MiB; flat means within 5%): ${worst <= 0.05 ? 'flat' : 'NOT flat'}. Descriptors: ${fdsAt5} at minute 5, at most ${fdsLast} in the last 10 minutes: ${fdsLast <= fdsAt5 + 20 ? 'no growth' : 'GROWING'}.`;
        })()
      : `Verdict: a run of ${minutes} minutes is too short to judge (it takes 20 or more).`;
  return [
    `Soak of ${minutes} minutes on ${machine()}: one streamd process; churn from one client process on loopback. Done: ${counts.connects} connect-list-quit, ${counts.cutDownloads} downloads cut midway, ${counts.resets} resets, ${counts.idleAnswers} idle answers to ${IDLERS} idlers, ${counts.idlersGone} idlers gone while idling, ${counts.calls} calls among ${CALL_PAIRS} pairs, ${counts.statuses} status changes, ${counts.listens} radio listeners (joined, then left or went silent), ${counts.hostile} hostile lines.`,
    '',
    table(
      ['minute', 'RSS MiB', 'open fds', 'loop delay p99 ms', 'loop delay max ms', 'connections', 'radio listeners'],
      samples.map((s) => [
        s.minute,
        s.rss.toFixed(1),
        s.fds,
        s.loopP99.toFixed(1),
        s.loopMax.toFixed(1),
        s.connections,
        s.listeners,
      ]),
    ),
    '',
    verdict,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' } } });
  console.log(await soak(Number(values.minutes)));
}
