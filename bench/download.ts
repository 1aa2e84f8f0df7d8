/**
 * Download throughput on loopback: one client and 50 concurrent clients fetching whole songs from
 * streamd, against the plain baseline (same files, read and written to a socket, nothing else)
 * measured in the same run.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResponseReader } from '../common/protocol/response-reader.js';
import { benchLibrary, freePort, spawnDaemon, table } from './lib.js';

const SONGS = 20;

/** Fetches songs one after another over one connection; returns the audio bytes received. */
function streamdClient(port: number, ids: number[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const reader = new ResponseReader();
    let bytes = 0;
    let next = 0;
    let greeted = false;
    const ask = (): void => {
      if (next === ids.length) {
        socket.end();
        return resolve(bytes);
      }
      socket.write(`download ${ids[next++]}\n`);
    };
    socket.on('data', (chunk: Buffer) => {
      for (const event of reader.push(chunk).events) {
        if (event.type === 'block-data') bytes += event.bytes.length;
        else if (event.type === 'ok') {
          if (!greeted) greeted = true;
          ask();
        } else if (event.type === 'err') reject(new Error(event.message));
      }
    });
    socket.on('error', reject);
  });
}

function baselineClient(port: number, files: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${files.join('\n')}\n\n`));
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('end', () => resolve(bytes));
    socket.on('error', reject);
  });
}

const REPEATS = 3;

/** The median of three runs, by throughput. */
async function timed(run: () => Promise<number[]>): Promise<{ seconds: number; bytes: number }> {
  const runs: Array<{ seconds: number; bytes: number }> = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const bytes = (await run()).reduce((a, b) => a + b, 0);
    runs.push({ seconds: (performance.now() - t0) / 1000, bytes });
  }
  return runs.sort((a, b) => a.bytes / a.seconds - b.bytes / b.seconds)[1] as { seconds: number; bytes: number };
}

export async function downloadBench(): Promise<string> {
  const root = benchLibrary(SONGS, 200);
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.mp3'))
    .map((f) => path.join(root, f))
    .sort();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-dl-'));
  const daemon = await spawnDaemon(root, stateDir, await freePort());
  const baseline = fork(fileURLToPath(new URL('./baseline-server.js', import.meta.url)), { stdio: 'ignore' });
  const baselinePort = await new Promise<number>((resolve) =>
    baseline.once('message', (port) => resolve(port as number)),
  );
  const ids = Array.from({ length: files.length }, (_, i) => i + 1);
  const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  try {
    const t0 = performance.now();
    const firstBytes = await streamdClient(daemon.port, ids);
    const firstPass = { seconds: (performance.now() - t0) / 1000, bytes: firstBytes };
    const rows: Array<Array<string | number>> = [];
    for (const clients of [1, 50]) {
      const share = (k: number): number[] =>
        clients === 1
          ? ids
          : ids
              .slice(k % ids.length)
              .concat(ids.slice(0, k % ids.length))
              .slice(0, 5);
      const base = await timed(() =>
        Promise.all(
          Array.from({ length: clients }, (_, k) =>
            baselineClient(
              baselinePort,
              share(k).map((id) => files[id - 1] as string),
            ),
          ),
        ),
      );
      const ours = await timed(() =>
        Promise.all(Array.from({ length: clients }, (_, k) => streamdClient(daemon.port, share(k)))),
      );
      const mbps = (r: { seconds: number; bytes: number }): number => r.bytes / r.seconds / 2 ** 20;
      rows.push([
        clients === 1 ? `1 client, ${ids.length} songs` : `50 clients, 5 songs each`,
        (ours.bytes / 2 ** 20).toFixed(0),
        mbps(base).toFixed(0),
        mbps(ours).toFixed(0),
        (mbps(ours) / mbps(base)).toFixed(2),
      ]);
    }
    return [
      `Songs: ${files.length} MP3s of 200 s at 128 kbps (${(totalBytes / 2 ** 20).toFixed(0)} MiB), from the page cache.`,
      `Each row is the median of 3 runs. First download of everything, SHA-256 of each block computed on the way: ${(firstPass.bytes / firstPass.seconds / 2 ** 20).toFixed(0)} MiB/s. The rows below are later downloads (hashes kept in the catalog).`,
      '',
      table(['load', 'MiB moved', 'baseline MiB/s', 'streamd MiB/s', 'streamd / baseline'], rows),
    ].join('\n');
  } finally {
    baseline.kill();
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
