import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSongFields, splitRecords, type SongInfo } from '../../common/protocol/records.js';
import { NullSink } from '../../tui/audio/null-sink.js';
import { BlockCache } from '../../tui/cache/block-cache.js';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { Playback } from '../../tui/playback/playback.js';
import { MEMORY_BYTES } from '../../tui/playback/block-buffer.js';
import { BlockFetcher, BROWSE_REST_MS } from '../../tui/playback/block-fetcher.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { freePort, sandbox } from '../helpers/cli.js';
import { fakeDaemon } from '../helpers/fake-daemon.js';
import { until } from '../helpers/log-capture.js';
import { song } from '../helpers/songs.js';
import { throttleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A silent real-time sink that counts what it was given since the last flush. */
class CountingSink extends NullSink {
  bytes = 0;
  override write(pcm: Buffer): Promise<void> {
    this.bytes += pcm.length;
    return super.write(pcm);
  }
  override flush(): void {
    this.bytes = 0;
    super.flush();
  }
}

let fixtures: FixtureLibrary;
let daemon: TestDaemon;
let proxy: ThrottleProxy;
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-fetch-'));

before(async () => {
  fixtures = makeFixtureLibrary();
  daemon = await startTestDaemon(fixtures.root);
  proxy = await throttleProxy(daemon.port, 150_000); // block 0 of the VBR song takes ~3 s
});
after(async () => {
  await proxy.close();
  await daemon.stop();
  fixtures.cleanup();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('playback engine over a slow link (real client, fetcher, decoder, cache)', () => {
  it('seeks into a block not fetched yet while a download runs: that block comes next, with one reconnect', async () => {
    const client = new DaemonClient({ host: '127.0.0.1', port: proxy.port, name: 'seeker' });
    let connects = 0;
    client.on('online', () => connects++);
    client.start();
    await until('the client online', () => client.online || undefined);
    const reply = await client.request('download', 'lame/vbr-xing.mp3', 0, 0).catch(() => undefined);
    assert.ok(reply?.ok, 'warm the daemon: block hashes computed');
    const list = await client.request('lista');
    const song = splitRecords(list.fields, 'song')
      .map(parseSongFields)
      .find((s) => s.file === 'lame/vbr-xing.mp3') as SongInfo;

    const cache = new BlockCache(cacheDir, 2 ** 30);
    cache.init();
    const sink = new CountingSink();
    const fetcher = new BlockFetcher(cache, client);
    const engine = new Playback(fetcher, sink);
    try {
      engine.play(song, 0);
      await until('audio from block 0', () => (sink.bytes > 0 ? true : undefined));
      const before = connects;
      engine.seek(65); // block 2, while block 0 is still arriving
      await until('audio from block 2', () => (sink.bytes > 0 ? true : undefined), 15_000);
      assert.ok(engine.position() >= 65 && engine.position() < 70, `position ${engine.position()}`);
      // Another second of playback: a seek that kept reconnecting would have by now.
      const at = engine.position();
      await until('a second more played', () => (engine.position() >= at + 1 ? true : undefined));
      assert.equal(connects - before, 1, 'the download was dropped once and the connection came back once');
    } finally {
      engine.close();
      fetcher.close();
      client.close();
    }
  });
});

describe('playback with the daemon gone (nothing cached)', () => {
  it('a play that is left parks nothing: no listener or decoder is kept per play', async () => {
    const port = await freePort(); // nothing listens: the client stays offline
    const client = new DaemonClient({ host: '127.0.0.1', port, name: 'offline' });
    client.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-offline-'));
    const cache = new BlockCache(dir, 2 ** 30);
    cache.init();
    const fetcher = new BlockFetcher(cache, client);
    const playback = new Playback(fetcher, new NullSink());
    try {
      const base = client.listenerCount('online');
      const songs = Array.from({ length: 20 }, (_, i) => song(100 + i));
      for (const next of songs) {
        playback.play(next, 0);
        // Each play waits for the daemon to come back, until the next play takes over.
        await until('the play waiting for the daemon', () =>
          client.listenerCount('online') > base ? true : undefined,
        );
      }
      playback.stop();
      await until('the last wait let go', () => (client.listenerCount('online') === base ? true : undefined));
      assert.equal(client.listenerCount('online'), base, 'no wait is left behind');
    } finally {
      await playback.close();
      fetcher.close();
      client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the song under the cursor (real client, fetcher, cache)', () => {
  it('fetches the first block of the song the cursor rests on, and nothing for songs it only passes', async () => {
    const client = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'browser' });
    client.start();
    await until('the client online', () => client.online || undefined);
    const songs = splitRecords((await client.request('lista')).fields, 'song')
      .map(parseSongFields)
      .filter((s) => s.blocks > 1);
    assert.ok(songs.length >= 3, `songs of two blocks or more: ${songs.length}`);
    const [passed, other, rested] = songs as [SongInfo, SongInfo, SongInfo];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-browse-'));
    const cache = new BlockCache(dir, 2 ** 30);
    cache.init();
    const fetcher = new BlockFetcher(cache, client);
    const stored: string[] = [];
    fetcher.on('cached', (etag: string) => stored.push(etag));
    try {
      // The cursor runs over two songs (under BROWSE_REST_MS each) and rests on the third.
      fetcher.browse(passed);
      await new Promise((resolve) => setTimeout(resolve, BROWSE_REST_MS / 3));
      fetcher.browse(other);
      await new Promise((resolve) => setTimeout(resolve, BROWSE_REST_MS / 3));
      fetcher.browse(rested);
      await until("the rested song's first block on disk", () =>
        cache.blocksOf(rested.etag).has(0) ? true : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, BROWSE_REST_MS * 2));
      assert.deepEqual([...cache.blocksOf(rested.etag)], [0], 'its first block only');
      assert.deepEqual(stored, [rested.etag], 'nothing for the songs passed over');
      assert.ok(await cache.read(rested.etag, 0), 'the block reads back with its hash');
      const lastPlayed = (): number =>
        (JSON.parse(readFileSync(path.join(dir, rested.etag, 'meta.json'), 'utf8')) as { lastPlayed: number })
          .lastPlayed;
      assert.equal(lastPlayed(), 0, 'fetched ahead: not played, the first the cache lets go');
      fetcher.setCurrent(rested);
      await until('played: recent for the cache', () => (lastPlayed() > 0 ? true : undefined));
      fetcher.setCurrent(undefined);

      // The cursor leaves before the rest is over: nothing is fetched.
      fetcher.browse(passed);
      fetcher.browse(undefined);
      await new Promise((resolve) => setTimeout(resolve, BROWSE_REST_MS * 2));
      assert.equal(cache.blocksOf(passed.etag).size, 0);

      // A song the daemon refuses (gone from its library) is asked for once, not again and again.
      const refusals: string[] = [];
      fetcher.on('warning', (text: string) => refusals.push(text));
      fetcher.browse({ ...rested, id: 999_999, etag: 'f'.repeat(16) });
      await until('the refusal', () => (refusals.length > 0 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(refusals.length, 1, refusals.join('\n'));
    } finally {
      fetcher.close();
      client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fetching ahead when the daemon goes away', () => {
  it('asks again for a block fetched ahead whose download broke off, once the daemon is back', async () => {
    const flaky = await throttleProxy(daemon.port, 150_000); // a first block takes seconds
    const client = new DaemonClient({ host: '127.0.0.1', port: flaky.port, name: 'flaky' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-ahead-'));
    const cache = new BlockCache(dir, 2 ** 30);
    cache.init();
    const fetcher = new BlockFetcher(cache, client);
    const asked: string[] = [];
    fetcher.on('debug', (text: string) => {
      if (text.endsWith('(ahead)')) asked.push(text);
    });
    try {
      client.start();
      await until('the client online', () => client.online || undefined);
      const songs = splitRecords((await client.request('lista')).fields, 'song').map(parseSongFields);
      const rested = songs.find((s) => s.file === 'lame/vbr-xing.mp3') as SongInfo;
      fetcher.browse(rested);
      await until('the block asked for ahead', () => (asked.length === 1 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await flaky.vanish();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(cache.blocksOf(rested.etag).size, 0, 'nothing on disk from the broken download');
      await flaky.comeBack();
      await until('the block on disk', () => (cache.blocksOf(rested.etag).has(0) ? true : undefined), 15_000);
      assert.equal(asked.length, 2, asked.join('\n'));
    } finally {
      fetcher.close();
      client.close();
      await flaky.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a block larger than memory should hold', () => {
  it(
    'a 92 MB block of a 192 kHz 8-channel WAV fetched ahead holds a few MB of it at most, and is cached whole',
    { timeout: 120_000 },
    async () => {
      const music = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bigblock-music-'));
      const cacheRoot = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bigblock-cache-'));
      // 31 s: a first block of 30 s (192,000 x 8 x 2 x 30 = 92 MB) and a short second one.
      const frames = 192_000 * 31;
      const data = Buffer.alloc(frames * 16);
      for (let i = 0; i < frames * 8; i++) data.writeInt16LE(Math.round(6000 * Math.sin(i / 13)), i * 2);
      const header = Buffer.alloc(44);
      header.write('RIFF', 0);
      header.writeUInt32LE(36 + data.length, 4);
      header.write('WAVEfmt ', 8);
      header.writeUInt32LE(16, 16);
      header.writeUInt16LE(1, 20);
      header.writeUInt16LE(8, 22);
      header.writeUInt32LE(192_000, 24);
      header.writeUInt32LE(192_000 * 16, 28);
      header.writeUInt16LE(16, 32);
      header.writeUInt16LE(16, 34);
      header.write('data', 36);
      header.writeUInt32LE(data.length, 40);
      writeFileSync(path.join(music, 'big.wav'), Buffer.concat([header, data]));
      // The daemon in a process of its own: what this process holds is the player's alone.
      const box = sandbox();
      const port = await freePort();
      const daemonProcess = box.spawnRun(['--music', music, '--state-dir', box.stateDir, '--port', String(port)]);
      let daemonLog = '';
      daemonProcess.stderr?.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
      await until('the daemon', () => /library: \d+ songs/.test(daemonLog) || undefined, 60_000);
      const client = new DaemonClient({ host: '127.0.0.1', port, name: 'big' });
      const cache = new BlockCache(cacheRoot, 2 ** 31);
      cache.init();
      const fetcher = new BlockFetcher(cache, client);
      try {
        client.start();
        await until('online', () => client.online || undefined);
        const [wav] = splitRecords((await client.request('lista')).fields, 'song').map(parseSongFields);
        assert.ok(wav && wav.blocks === 2);
        gc();
        const baseline = process.memoryUsage().arrayBuffers;
        let peak = baseline;
        // What is live, garbage collected first: the chunks the socket handed over are garbage at once.
        const sampler = setInterval(() => {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        }, 20);
        const cached = new Promise((resolve) => fetcher.once('cached', resolve));
        fetcher.prefetch(wav); // the next song's first block: no reader
        await cached;
        clearInterval(sampler);
        const grown = (peak - baseline) / 2 ** 20;
        // What a block may keep in memory, and room for the socket's chunks on their way.
        assert.ok(
          grown < MEMORY_BYTES / 2 ** 20 + 28,
          `the fetch held ${grown.toFixed(1)} MiB live at its peak (the block is 88 MiB)`,
        );
        const block = await cache.read(wav.etag, 0); // read checks the hash
        assert.equal(block?.length, 192_000 * 16 * 30);
      } finally {
        fetcher.close();
        client.close();
        daemonProcess.kill();
        box.cleanup();
        rmSync(music, { recursive: true, force: true });
        rmSync(cacheRoot, { recursive: true, force: true });
      }
    },
  );
});

describe('a block announced larger than its song can hold', () => {
  it('is refused before a byte is read, said, and the reader told', async () => {
    const server = await fakeDaemon((line) =>
      line.startsWith('download')
        ? `track data start\nblock: 0 0.000 30.000 2000000000 ${'a'.repeat(64)}\n`
        : undefined,
    );
    const client = new DaemonClient({ host: '127.0.0.1', port: server.port, name: 'x' });
    const cacheRoot = mkdtempSync(path.join(os.tmpdir(), 'streamtui-hugeblock-'));
    const cache = new BlockCache(cacheRoot, 2 ** 30);
    cache.init();
    const fetcher = new BlockFetcher(cache, client);
    const warnings: string[] = [];
    fetcher.on('warning', (text: string) => warnings.push(text));
    try {
      client.start();
      await until('online', () => client.online || undefined);
      const mp3 = song(7, { bytes: 3_000_000, blocks: 2, duration: 40 });
      const reading = (async () => {
        for await (const chunk of fetcher.block(mp3, 0, new AbortController().signal)) void chunk;
      })();
      await assert.rejects(reading, /at 2000000000 bytes; this song's blocks hold at most 2662144: not fetched/);
      assert.match(warnings.join('\n'), /not fetched/);
    } finally {
      fetcher.close();
      client.close();
      server.close();
      rmSync(cacheRoot, { recursive: true, force: true });
    }
  });
});
