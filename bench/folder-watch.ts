/**
 * The folder watch under a crowd: 1,000 and then 3,000 MP3 files written into
 * one new folder of a running daemon's library, as fast as a second process can write them, while
 * a client pings every 10 ms. How late the pings come back is how long every client waits.
 * (Node 20's recursive fs.watch, which this replaced, stalled clients 1.7 s at 1,000 files and
 * 17.5 s at 3,000 in the review that found it.)
 */
import { fork } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestClient } from '../test/helpers/client.js';
import { benchLibrary, freePort, spawnDaemon, table } from './lib.js';

const WRITER = `
const { writeFileSync, mkdirSync } = require('node:fs');
const [folder, source, count] = process.argv.slice(2);
const bytes = require('node:fs').readFileSync(source);
mkdirSync(folder, { recursive: true });
for (let i = 0; i < Number(count); i++) writeFileSync(folder + '/crowd ' + String(i).padStart(5, '0') + '.mp3', bytes);
`;

async function crowd(count: number): Promise<Array<string | number>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-watch-'));
  const music = path.join(base, 'music');
  cpSync(benchLibrary(20, 10), music, { recursive: true });
  const daemon = await spawnDaemon(music, path.join(base, 'state'), await freePort(), [
    '--udp-port',
    String(await freePort()),
  ]);
  const pinger = (await TestClient.connect(daemon.port)).client;
  const watcher = (await TestClient.connect(daemon.port)).client;
  const source = path.join(base, 'source.mp3');
  const first = (await watcher.command('lista')).fields.find(([key]) => key === 'file')?.[1] as string;
  writeFileSync(source, readFileSync(path.join(music, first)));
  const writer = path.join(base, 'writer.cjs');
  writeFileSync(writer, WRITER);
  const late: number[] = [];
  let pinging = true;
  const pings = (async () => {
    while (pinging) {
      const sent = performance.now();
      await pinger.command('ping');
      late.push(performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const started = performance.now();
  const child = fork(writer, [path.join(music, 'crowd'), source, String(count)], { stdio: 'ignore' });
  const written = new Promise((resolve) => child.once('exit', resolve));
  let writtenAt = 0;
  void written.then(() => (writtenAt = performance.now() - started));
  const songs = async (): Promise<number> =>
    Number((await watcher.command('stats')).fields.find(([key]) => key === 'songs')?.[1]);
  while ((await songs()) < 20 + count) await new Promise((resolve) => setTimeout(resolve, 100));
  const listedAt = performance.now() - started;
  await written;
  pinging = false;
  await pings;
  pinger.close();
  watcher.close();
  await daemon.stop();
  rmSync(base, { recursive: true, force: true });
  const sorted = [...late].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(sorted.length * 0.99)] as number;
  return [
    count.toLocaleString('en'),
    `${(writtenAt / 1000).toFixed(1)} s`,
    `${(listedAt / 1000).toFixed(1)} s`,
    late.length,
    `${p99.toFixed(1)} ms`,
    `${(sorted.at(-1) as number).toFixed(1)} ms`,
  ];
}

export async function folderWatchBench(): Promise<string> {
  const rows = [await crowd(1000), await crowd(3000)];
  return `${table(['files into one folder', 'written in', 'all listed after', 'pings', 'ping p99', 'ping worst'], rows)}

A second process writes the files (10 s MP3s) as fast as it can; a client pings every 10 ms
meanwhile, from the start of the writing until \`stats\` counts every new song. The target: no ping
later than 50 ms.`;
}
