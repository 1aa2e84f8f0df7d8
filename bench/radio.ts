/**
 * Radio fan-out: streamd as its own process, and a load generator process with 1, 100 and 1,000
 * listeners on loopback, each a real UDP socket. Measured over a steady window: the daemon's CPU
 * and RSS, datagrams sent per second, and the loss the listeners saw.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lossPercent, type LossCounts } from '../common/datagram/loss-meter.js';
import { TestClient } from '../test/helpers/client.js';
import { benchLibrary, cpuSeconds, freePort, rssMiB, spawnDaemon, table } from './lib.js';

const WINDOW_SECONDS = 10;
const WARMUP_MS = 3000;
const GENERATOR = fileURLToPath(new URL('./radio-listeners.js', import.meta.url));

/** Datagrams the kernel dropped for want of socket buffer space, machine-wide (/proc/net/snmp). */
function udpErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp:'));
  const names = (lines[0] ?? '').split(' ');
  const values = (lines[1] ?? '').split(' ');
  return Number(values[names.indexOf('RcvbufErrors')]) + Number(values[names.indexOf('SndbufErrors')]);
}

async function stat(port: number, key: string): Promise<number> {
  const { client } = await TestClient.connect(port);
  const response = await client.command('stats');
  client.close();
  return Number(response.fields.find(([k]) => k === key)?.[1]);
}

async function fanOut(listeners: number): Promise<Array<string | number>> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-radio-'));
  const config = path.join(state, 'config.json');
  writeFileSync(config, JSON.stringify({ radio: { max_listeners: 2000 } }));
  const udpPort = await freePort();
  const daemon = await spawnDaemon(benchLibrary(20, 120), state, await freePort(), [
    '--config',
    config,
    '--udp-port',
    String(udpPort),
  ]);
  const pid = daemon.child.pid as number;
  try {
    const idleCpu = cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleCost = cpuSeconds(pid) - idleCpu;
    const generator = fork(GENERATOR, [String(udpPort), String(listeners)], { stdio: 'ignore' });
    const ready = await new Promise<{ listening: number }>((resolve) => generator.once('message', resolve as never));
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const cpu0 = cpuSeconds(pid);
    const gen0 = cpuSeconds(generator.pid as number);
    const sent0 = await stat(daemon.port, 'datagrams_sent');
    const t0 = performance.now();
    generator.send({ type: 'measure', seconds: WINDOW_SECONDS });
    const snmp0 = udpErrors();
    const result = await new Promise<{ totals: LossCounts }>((resolve) =>
      generator.on('message', (m: { type: string }) => m.type === 'result' && resolve(m as never)),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const genCpu = cpuSeconds(generator.pid as number) - gen0;
    const sent = (await stat(daemon.port, 'datagrams_sent')) - sent0;
    const rss = rssMiB(pid);
    const snmp = udpErrors() - snmp0;
    await new Promise((resolve) => generator.once('exit', resolve));
    return [
      listeners,
      ready.listening,
      `${((100 * cpu) / seconds).toFixed(1)}%`,
      rss.toFixed(0),
      Math.round(sent / seconds).toLocaleString('en'),
      result.totals.received.toLocaleString('en'),
      `${lossPercent(result.totals).toFixed(3)}%`,
      `${((100 * genCpu) / seconds).toFixed(0)}%`,
      snmp,
      `${((100 * idleCost) / 2).toFixed(2)}%`,
    ];
  } finally {
    await daemon.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

export async function radioBench(): Promise<string> {
  const rows = [];
  for (const listeners of [1, 100, 1000]) rows.push(await fanOut(listeners));
  return [
    `${WINDOW_SECONDS} s window after ${WARMUP_MS / 1000} s of warm-up; one MP3 frame (128 kbit/s, 44.1 kHz: ~38 a second) per datagram; ` +
      'listeners are real sockets in a separate load-generator process on the same 2 cores. CPU is % of one core. ' +
      'Idle CPU: the daemon with the radio enabled and nobody listening, over 2 s before the listeners came.',
    '',
    table(
      [
        'listeners',
        'accepted',
        'daemon CPU',
        'daemon RSS MiB',
        'datagrams sent/s',
        'received (window)',
        'loss seen',
        'generator CPU',
        'kernel drops',
        'idle CPU',
      ],
      rows,
    ),
  ].join('\n');
}
