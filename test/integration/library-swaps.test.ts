/**
 * The library is not trusted between a scan and a read. A scanned song
 * swapped for a symlink (to a file outside of the same size and mtime), a folder above it swapped
 * for a symlink, and a song swapped for a FIFO: nothing outside the library is served, no libuv
 * thread blocks, and the daemon serves on. And a daemon out of file descriptors says so and lives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { openFrameSource } from '../../daemon/radio/frame-source.js';
import { TestClient } from '../helpers/client.js';
import { freePort, sandbox, STREAMD } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';

let library: FixtureLibrary;
let daemon: TestDaemon;
let tcp: TestClient;

/** Writes `bytes` bytes of `fill` at `file`, with the mtime of `like`: what a swap made with `touch -r` looks like. */
function lookalike(file: string, like: string, fill: string): void {
  const { size, mtime } = statSync(like);
  writeFileSync(file, Buffer.alloc(size, fill));
  chmodSync(file, 0o600);
  utimesSync(file, mtime, mtime);
}

before(async () => {
  library = makeFixtureLibrary();
  // No folder watch here: the swaps must meet the reads, not a rescan.
  daemon = await startTestDaemon(library.root);
  tcp = (await TestClient.connect(daemon.port)).client;
});
after(async () => {
  tcp.close();
  await daemon.stop();
  library.cleanup();
});

describe('a library changed behind the catalog', () => {
  it('a song swapped for a symlink to a same-size, same-mtime file outside: refused by download, stream and the radio', async () => {
    const song = daemon.catalog.find('lamejs-cbr.mp3');
    const target = path.join(library.outside, 'root-only.bin');
    lookalike(target, song.path, 'S');
    const original = path.join(library.outside, 'original.mp3');
    renameSync(song.path, original);
    symlinkSync(target, song.path);
    utimesSync(target, statSync(original).mtime, statSync(original).mtime);
    try {
      const download = await tcp.command('download', 'lamejs-cbr.mp3');
      assert.equal(download.code, 'io_error', download.text);
      assert.match(download.text, /symlink/);
      assert.equal(download.blocks.length, 0);
      const stream = await tcp.command('stream', 'lamejs-cbr.mp3', '40000');
      assert.equal(stream.code, 'io_error', stream.text);
      await assert.rejects(openFrameSource(song, 0, 128), /symlink/, 'the radio does not read it either');
    } finally {
      rmSync(song.path);
      renameSync(original, song.path);
    }
    assert.equal((await tcp.command('download', 'lamejs-cbr.mp3')).ok, true, 'served again once it is back');
  });

  it('a folder above a song swapped for a symlink to a folder outside holding a lookalike: refused', async () => {
    const song = daemon.catalog.find('lame/vbr-xing.mp3');
    const folder = path.dirname(song.path);
    const fake = path.join(library.outside, 'fake-lame');
    cpSync(folder, fake, { recursive: true });
    lookalike(path.join(fake, 'vbr-xing.mp3'), song.path, 'T');
    renameSync(folder, `${folder}.real`);
    symlinkSync(fake, folder);
    try {
      const download = await tcp.command('download', 'lame/vbr-xing.mp3');
      assert.equal(download.code, 'io_error', download.text);
      assert.match(download.text, /changed since it was scanned/);
      await assert.rejects(openFrameSource(song, 0, 128), /changed since it was scanned/);
    } finally {
      rmSync(folder);
      renameSync(`${folder}.real`, folder);
    }
  });

  it(
    'a song swapped for a FIFO: every download and stream of it fails at once, and the others are served meanwhile',
    { timeout: 20_000 },
    async () => {
      const song = daemon.catalog.find('wav/code-16bit.wav');
      const saved = `${song.path}.saved`;
      renameSync(song.path, saved);
      assert.equal(spawnSync('mkfifo', [song.path]).status, 0);
      try {
        // More than libuv's four threads: before, each sat in open() for good.
        const clients = await Promise.all(
          Array.from({ length: 6 }, async () => (await TestClient.connect(daemon.port)).client),
        );
        const answers = await Promise.all(
          clients.map((client, i) =>
            i % 2
              ? client.command('stream', 'wav/code-16bit.wav', '40000')
              : client.command('download', 'wav/code-16bit.wav'),
          ),
        );
        for (const answer of answers) {
          assert.equal(answer.code, 'io_error', answer.text);
          assert.match(answer.text, /not a regular file/);
        }
        clients.forEach((client) => client.close());
        const other = await tcp.command('download', 'lamejs-cbr.mp3');
        assert.equal(other.ok, true, 'the thread pool is free');
      } finally {
        rmSync(song.path);
        renameSync(saved, song.path);
      }
    },
  );
});

describe('out of file descriptors', () => {
  it('is logged as an error, the failing command gets io_error, and the daemon serves again once descriptors free up', async () => {
    const box = sandbox();
    const port = await freePort();
    // A low limit that connections can exhaust quickly; the daemon itself needs a few dozen.
    const child = spawn(
      'sh',
      [
        '-c',
        `ulimit -n 90 && exec "${process.execPath}" "${STREAMD}" run --music "${library.root}" --port ${port} --udp-port 0 --max-connections-per-address 1000 --state-dir "${box.stateDir}"`,
      ],
      {
        env: box.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const sockets: net.Socket[] = [];
    try {
      await until('the daemon ready', () => (/listening/i.test(log) ? true : undefined), 15_000);
      const first = (await TestClient.connect(port)).client;
      await until(
        'the catalog ready',
        async () =>
          (await first.command('stats')).fields.some(([k, v]) => k === 'catalog' && v === 'ready') ? true : undefined,
        15_000,
      );
      // Open connections until the daemon has no descriptor left for a download. When accept()
      // itself meets EMFILE, libuv accepts and closes every connection waiting (its reserve
      // descriptor's trick), which can leave a few free again: so connections are opened in
      // rounds until a download meets the limit, not counted once.
      const connectMore = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) {
          const socket = net.connect(port, '127.0.0.1');
          socket.on('error', () => {});
          sockets.push(socket);
          await new Promise((resolve) => {
            socket.once('connect', resolve);
            socket.once('error', resolve);
          });
        }
      };
      const openFiles = async (): Promise<number> =>
        Number((await first.command('stats')).fields.find(([key]) => key === 'open_files')?.[1]);
      let counted = 0;
      let download = await first.command('download', 'lamejs-cbr.mp3');
      await until(
        'the descriptors used up',
        async () => {
          await connectMore(20);
          counted = await openFiles();
          download = await first.command('download', 'lamejs-cbr.mp3');
          return download.code === 'io_error' ? true : undefined;
        },
        20_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${counted} open at the last count; the daemon said:\n${log.slice(-2000)}`);
      });
      assert.equal(download.code, 'io_error', download.text);
      assert.match(download.text, /EMFILE/);
      await until('the error logged', () => (/out of file descriptors \(EMFILE\)/.test(log) ? true : undefined), 3000);
      await until('the shortage logged', () => (/file descriptors: \d+ of 90 open/.test(log) ? true : undefined), 8000);
      for (const socket of sockets) socket.destroy();
      // The folder watch's first rescan ran out of descriptors too: it must not have emptied the catalog.
      await until(
        'served again',
        async () => ((await first.command('download', 'lamejs-cbr.mp3')).ok ? true : undefined),
        10_000,
      );
      const songs = (await first.command('stats')).fields.find(([key]) => key === 'songs')?.[1];
      assert.equal(songs, '12', 'every song still listed');
      const fresh = await TestClient.connect(port);
      assert.equal(fresh.greeting.ok, true, 'a new connection is greeted');
      fresh.client.close();
      first.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      box.cleanup();
    }
  });
});
