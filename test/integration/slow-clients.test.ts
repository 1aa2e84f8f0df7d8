/**
 * Clients that do not read, or read slowly. Input queued behind an answer
 * the client does not read is bounded in bytes (not only in commands); a client that reads slowly
 * but steadily is not taken for one that reads nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeWav } from '../../daemon/demo/encode.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let library: FixtureLibrary;
let daemon: TestDaemon;

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root, { limits: { write_stall_timeout: 30 } });
});
after(async () => {
  await daemon.stop();
  library.cleanup();
});

const connect = async (): Promise<net.Socket> => {
  const socket = net.connect(daemon.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
};

describe('input queued behind an answer that is not read', () => {
  it('is bounded in bytes: 40 connections each sending 256 KiB of short commands hold a few MB, not hundreds', async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const socket = await connect();
        socket.pause(); // reads nothing: the download below never ends
        socket.write('download "wav/code-16bit.wav"\n');
        sockets.push(socket);
      }
      await until('40 downloads stuck', () => daemon.server.services.counters.downloadsActive === 40 || undefined);
      await sleep(200);
      const before = heapUsed();
      // 'ping\n' x 52,000: each connection would hold 52,000 queued lines if it framed them all.
      const flood = Buffer.from('ping\n'.repeat(52_000));
      await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.write(flood, resolve))));
      await sleep(500);
      const grown = heapUsed() - before;
      // Framing it all grew the heap by 38 MB here; bounded, by 0.3 MB. The bound is 64 lines (or 64 KiB) a
      // connection, plus the chunk in hand as raw bytes.
      assert.ok(grown < 10 * 1024 * 1024, `the heap grew by ${(grown / 1e6).toFixed(1)} MB`);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    await until('downloads to end', () => daemon.server.services.counters.downloadsActive === 0 || undefined);
  });

  it('every queued command is still answered, in order, once the client reads', async () => {
    const socket = await connect();
    socket.pause();
    socket.write('download "wav/code-16bit.wav"\n');
    const count = 20_000;
    socket.write(Array.from({ length: count }, (_, i) => (i % 2 ? 'ping\n' : 'nosuch\n')).join(''));
    await sleep(300);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.resume();
    await until(
      'every answer',
      () => ((text.match(/^(OK|ERR unknown_command .*)$/gm)?.length ?? 0) >= count + 1 ? true : undefined),
      20_000,
    );
    const answers = text.slice(text.indexOf('track data end')).match(/^(OK|ERR unknown_command)/gm) ?? [];
    assert.equal(answers.length, count + 1, 'the download, then each command');
    answers.slice(1).forEach((answer, i) => assert.equal(answer, i % 2 ? 'OK' : 'ERR unknown_command', `answer ${i}`));
    socket.destroy();
  });
});

describe('write_stall_timeout measures progress', () => {
  let dir: string;
  let stalling: TestDaemon;
  before(async () => {
    // A song larger than what the kernel's socket buffers and max_output_bytes hold together.
    dir = mkdtempSync(path.join(os.tmpdir(), 'streamd-slow-'));
    mkdirSync(path.join(dir, 'music'));
    const samples = new Int16Array(44100 * 180).map((_, i) => Math.round(8000 * Math.sin(i / 7)));
    writeFileSync(path.join(dir, 'music', 'long.wav'), encodeWav({ sampleRate: 44100, channels: [samples, samples] }));
    stalling = await startTestDaemon(path.join(dir, 'music'), { limits: { write_stall_timeout: 3 } });
  });
  after(async () => {
    await stalling.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a client reading 128 KB/s outlives several write_stall_timeouts; once it stops reading it is cut',
    { timeout: 40_000 },
    async () => {
      const socket = net.connect(stalling.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      let closed = false;
      socket.once('close', () => (closed = true));
      socket.pause();
      socket.write('download long.wav\n');
      await sleep(1500); // every buffer on the way fills
      // Reads 32 KB every 250 ms (128 KB/s): resumed until that much came, then paused again.
      let received = 0;
      let allowance = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        allowance -= chunk.length;
        if (allowance <= 0) socket.pause();
      });
      socket.pause();
      const started = Date.now();
      while (Date.now() - started < 10_000) {
        allowance = 32 * 1024;
        socket.resume();
        await sleep(250);
      }
      socket.pause();
      assert.equal(closed, false, `a steady reader (${(received / 1e6).toFixed(1)} MB in 10 s) was cut`);
      assert.ok(received > 500_000, `${received} bytes read`);
      assert.equal(stalling.server.services.counters.downloadsActive, 1, 'its download goes on');
      // Now it reads nothing at all: cut within a few write_stall_timeouts.
      await until(
        'the stalled client cut',
        () => (stalling.server.services.counters.downloadsActive === 0 ? true : undefined),
        15_000,
      );
      socket.destroy();
    },
  );
});

describe('output that is never read, over many connections and addresses', () => {
  let dir: string;
  let crowded: TestDaemon;
  const TOTAL = 8 * 1024 * 1024;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'streamd-unread-'));
    mkdirSync(path.join(dir, 'music'));
    const samples = new Int16Array(44100 * 120).map((_, i) => Math.round(8000 * Math.sin(i / 9)));
    writeFileSync(path.join(dir, 'music', 'big.wav'), encodeWav({ sampleRate: 44100, channels: [samples, samples] }));
    crowded = await startTestDaemon(path.join(dir, 'music'), { limits: { max_output_bytes_total: TOTAL } });
  });
  after(async () => {
    await crowded.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'holds max_output_bytes_total in all (and a read piece a connection), not max_output_bytes a connection',
    { timeout: 60_000 },
    async () => {
      const sockets: net.Socket[] = [];
      const count = 96;
      try {
        for (let i = 0; i < count; i++) {
          // From four addresses of 127/8, as one local user can: the per-address limit counts each.
          const socket = net.connect({
            port: crowded.port,
            host: '127.0.0.1',
            localAddress: `127.0.0.${10 + (i % 4)}`,
          });
          socket.on('error', () => {});
          await new Promise((resolve) => socket.once('connect', resolve));
          socket.pause(); // never reads
          socket.write('download big.wav\ndownload big.wav\ndownload big.wav\n');
          sockets.push(socket);
        }
        await until(
          'every download stuck',
          () => crowded.server.services.counters.downloadsActive === count || undefined,
        );
        // Let every buffer on the way fill: the kernel's, then the daemon's.
        let last = -1;
        await until(
          'the queues settled',
          async () => {
            await sleep(300);
            const now = crowded.server.services.counters.outputQueued();
            const settled = now === last;
            last = now;
            return settled || undefined;
          },
          30_000,
        );
        const queued = crowded.server.services.counters.outputQueued();
        const bound = TOTAL + count * 256 * 1024; // the share, and the piece a write may add past it
        assert.ok(
          queued <= bound,
          `${(queued / 2 ** 20).toFixed(1)} MiB queued; the bound is ${(bound / 2 ** 20).toFixed(1)} MiB`,
        );
        assert.ok(queued < count * 1024 * 1024, 'less than max_output_bytes for each');
        const client = await connect();
        client.destroy();
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    },
  );
});
