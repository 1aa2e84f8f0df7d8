/**
 * Catalog and idle costs: cold scan and no-change restart of 2,000 MP3s, `lista` of 2,000 songs,
 * and the daemon's memory idle and with 500 idle connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { benchLibrary, freePort, median, rssMiB, spawnDaemon, table } from './lib.js';

const scanMs = (log: string): number => Number(/library: \d+ songs \(\d+ analysed[^)]*\) in (\d+) ms/.exec(log)?.[1]);

/** Milliseconds from sending `lista` to reading its `OK`, over one connection. */
async function listaTimes(port: number, repeats: number): Promise<{ ms: number[]; bytes: number }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('data', resolve)); // greeting
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    bytes = 0;
    let tail = '';
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer): void => {
        bytes += chunk.length;
        tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 8))).slice(-8);
        if (tail.endsWith('\nOK\n')) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write('lista\n');
    });
    ms.push(performance.now() - t0);
  }
  socket.destroy();
  return { ms, bytes };
}

export async function catalogBench(): Promise<string> {
  const out: string[] = [];
  const scanRows: Array<Array<string | number>> = [];
  let memoryRows: Array<Array<string | number>> = [];
  let listaRow: Array<string | number> = [];
  for (const seconds of [200, 30]) {
    const root = benchLibrary(2000, seconds);
    const cold: number[] = [];
    const warm: number[] = [];
    for (let run = 0; run < 3; run++) {
      const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-cat-'));
      try {
        const first = await spawnDaemon(root, stateDir, await freePort());
        cold.push(scanMs(first.log()));
        await first.stop();
        const again = await spawnDaemon(root, stateDir, await freePort());
        warm.push(scanMs(again.log()));
        if (seconds === 200 && run === 0) {
          const lista = await listaTimes(again.port, 50);
          const sorted = [...lista.ms].sort((a, b) => a - b);
          listaRow = [
            '`lista` of 2,000 songs',
            (lista.bytes / 1024).toFixed(0),
            median(lista.ms).toFixed(2),
            (sorted[Math.floor(sorted.length * 0.95)] as number).toFixed(2),
          ];
          await new Promise((resolve) => setTimeout(resolve, 2000));
          const idle = rssMiB(again.child.pid as number);
          const sockets = await Promise.all(
            Array.from(
              { length: 500 },
              () =>
                new Promise<net.Socket>((resolve) => {
                  const socket = net.connect(again.port, '127.0.0.1');
                  socket.once('data', () => resolve(socket));
                }),
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, 1000));
          const connected = rssMiB(again.child.pid as number);
          for (const socket of sockets) socket.destroy();
          memoryRows = [
            ['idle, 2,000 songs', idle.toFixed(1)],
            ['500 idle connections, 2,000 songs', connected.toFixed(1)],
          ];
        }
        await again.stop();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    }
    scanRows.push([
      `2,000 MP3s of ${seconds} s (${seconds === 200 ? '6.0 GiB' : '0.9 GiB'})`,
      median(cold),
      median(warm),
    ]);
  }
  out.push(
    'Scan times are what the daemon logs (walk, stat, analyse, index), median of 3; files in the page cache.',
    '',
  );
  out.push(table(['library', 'cold scan ms', 'no-change restart ms'], scanRows), '');
  out.push(table(['request', 'KiB', 'median ms', 'p95 ms'], [listaRow]), '');
  out.push(table(['daemon', 'RSS MiB'], memoryRows));
  return out.join('\n');
}
