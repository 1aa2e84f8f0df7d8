/**
 * Calls through one daemon: 1 and 32 concurrent calls (`calls.max`), both parties of
 * each sending 20 ms VOICE datagrams, from a generator process on loopback. Measured over the
 * window: the daemon's CPU, and the datagrams forwarded and dropped (its `stats`).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../test/helpers/client.js';
import { benchLibrary, cpuSeconds, freePort, spawnDaemon, table } from './lib.js';

const WINDOW_SECONDS = 10;
const GENERATOR = fileURLToPath(new URL('./call-parties.js', import.meta.url));

async function stats(port: number): Promise<Map<string, number>> {
  const { client } = await TestClient.connect(port);
  const response = await client.command('stats');
  client.close();
  return new Map(response.fields.map(([key, value]) => [key, Number(value)]));
}

async function run(calls: number): Promise<Array<string | number>> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-calls-'));
  const udpPort = await freePort();
  const daemon = await spawnDaemon(benchLibrary(20, 120), state, await freePort(), ['--udp-port', String(udpPort)]);
  const pid = daemon.child.pid as number;
  try {
    const generator = fork(GENERATOR, [String(daemon.port), String(udpPort), String(calls)], { stdio: 'ignore' });
    await new Promise((resolve) => generator.once('message', resolve));
    const before = await stats(daemon.port);
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    generator.send({ type: 'measure', seconds: WINDOW_SECONDS });
    const result = await new Promise<{ sent: number; received: number }>((resolve) =>
      generator.on('message', (m: { type: string }) => m.type === 'result' && resolve(m as never)),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const after = await stats(daemon.port);
    const delta = (key: string): number => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    const dropped = ['not_active', 'bad_token', 'bad_address', 'unproven', 'truncated'].reduce(
      (sum, why) => sum + delta(`voice_dropped_${why}`),
      0,
    );
    return [
      calls,
      result.sent,
      delta('voice_forwarded'),
      dropped,
      result.received,
      `${((100 * cpu) / seconds).toFixed(1)}%`,
    ];
  } finally {
    await daemon.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

export async function callsBench(): Promise<string> {
  const rows = [await run(1), await run(32)];
  return `${table(['calls', 'VOICE sent (window)', 'forwarded', 'dropped', 'received by parties', 'daemon CPU'], rows)}

${WINDOW_SECONDS} s window; every party sends a 84-byte VOICE datagram (8-byte token, 60-byte packet) every 20 ms. CPU is % of one core.`;
}
