/**
 * Song streams over a path slower than their pace must not pile datagrams up in
 * the daemon. 32 streams (16 Mbit/s each) towards a 20 Mbit/s path: the review saw RSS go from
 * 83 MB to 985 MB in 10 s. The path is real: a network namespace with a rate-limited veth.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { SOCKET_QUEUE_BYTES, STREAM_QUEUE_BYTES } from '../../daemon/udp/stream-sender.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { makeSlowPath, type SlowPath } from '../helpers/netns.js';

const FLOOD = fileURLToPath(new URL('../helpers/stream-flood.js', import.meta.url));
const STREAMS = 32;
/** What one burst may add beyond a stream's bound: 16 datagrams. */
const BURST_BYTES = 16 * 1400;

let library: FixtureLibrary;
let path: SlowPath;
let daemon: TestDaemon;

before(async () => {
  library = makeFixtureLibrary();
  path = makeSlowPath('20mbit');
  daemon = await startTestDaemon(library.root, { host: path.hostAddress, udp: { max_streams_per_address: STREAMS } });
});
after(async () => {
  await daemon?.stop();
  path?.remove();
  library?.cleanup();
});

describe('song streams over a slow path', () => {
  it('pause when the socket pushes back: the send queue stays bounded while the path is kept busy', async () => {
    const flood = spawn(
      path.exec[0] as string,
      [
        ...path.exec.slice(1),
        process.execPath,
        FLOOD,
        path.hostAddress,
        String(daemon.port),
        String(daemon.udpPort),
        String(STREAMS),
        'wav/code-16bit.wav',
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = readline.createInterface({ input: flood.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<string> => {
      const line = await lines.next();
      if (line.done) throw new Error('the flood script ended');
      return line.value;
    };
    try {
      assert.equal(await next(), 'ready');
      const { streams, udpCounters } = daemon.server.services;
      const rssBefore = process.memoryUsage().rss;
      let most = 0;
      const started = Date.now();
      flood.stdin.write('\n');
      const bytesAtStart = (JSON.parse(await next()) as { bytes: number }).bytes;
      while (Date.now() - started < 5000) {
        most = Math.max(most, streams.queuedBytes);
        await sleep(50);
      }
      flood.stdin.write('\n');
      const received = (JSON.parse(await next()) as { bytes: number }).bytes - bytesAtStart;
      const seconds = (Date.now() - started) / 1000;
      assert.equal(streams.active, STREAMS, 'every stream still running');
      assert.ok(
        most <= Math.min(SOCKET_QUEUE_BYTES, STREAMS * STREAM_QUEUE_BYTES) + STREAMS * BURST_BYTES,
        `send queue peaked at ${most} bytes`,
      );
      assert.ok(udpCounters.streamPauses > 0, 'streams waited for the path');
      // The path is kept busy: most of 20 Mbit/s (2.5 MB/s) arrives.
      assert.ok(received / seconds > 1_500_000, `${(received / seconds / 1e6).toFixed(2)} MB/s arrived`);
      const grown = process.memoryUsage().rss - rssBefore;
      assert.ok(grown < 100 * 1024 * 1024, `RSS grew by ${(grown / 1e6).toFixed(0)} MB`);
    } finally {
      flood.stdin.end();
      flood.kill();
    }
  });
});
