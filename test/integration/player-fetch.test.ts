import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSongFields, splitRecords, type SongInfo } from '../../common/protocol/records.js';
import { NullSink } from '../../tui/audio/null-sink.js';
import { BlockCache } from '../../tui/cache/block-cache.js';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { Playback } from '../../tui/playback/playback.js';
import { BlockFetcher, BROWSE_REST_MS } from '../../tui/playback/block-fetcher.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/cli.js';
import { until } from '../helpers/log-capture.js';
import { song } from '../helpers/songs.js';
import { throttleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

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
