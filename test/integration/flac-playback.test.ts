/**
 * The player's FLAC path with the real client, fetcher, cache and decoder: a play from the middle
 * of a block gets the decoder header first and drops the block's samples before the position, so
 * its first sample is the recording's sample at that position, exactly; from the cache, the same;
 * and played to its end, its last. Through the system's flac and through the player's own libFLAC.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSongFields, splitRecords, type SongInfo } from '../../common/protocol/records.js';
import { useSystemDecoders } from '../../tui/audio/decoder.js';
import { BlockCache } from '../../tui/cache/block-cache.js';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { BlockFetcher } from '../../tui/playback/block-fetcher.js';
import { Playback } from '../../tui/playback/playback.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { KeepingSink } from '../helpers/keeping-sink.js';
import { until } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-flac-play-'));
let daemon: TestDaemon;
let recording: Buffer;

before(async () => {
  const library = path.join(work, 'library');
  mkdirSync(library);
  const wav = path.join(work, 'recording.wav');
  execFileSync('sox', [
    '-n',
    '-r',
    '48000',
    '-c',
    '2',
    '-b',
    '16',
    wav,
    'synth',
    '70',
    'sine',
    '100-3000',
    'pinknoise',
    'vol',
    '0.4',
  ]);
  recording = execFileSync('sox', [wav, '-t', 'raw', '-'], { maxBuffer: 64 * 1024 * 1024 });
  execFileSync('flac', ['-s', '-o', path.join(library, 'sweep.flac'), wav]);
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('FLAC in the playback engine', () => {
  for (const [decoders, system] of [
    ['the system flac', true],
    ['its own libFLAC', false],
  ] as const)
    it(`starts at a position inside a later block on its exact sample, from the daemon and from the cache, and plays to the end (${decoders})`, async () => {
      useSystemDecoders(system);
      const client = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'flac', formats: ['flac'] });
      client.start();
      await until('the client online', () => client.online || undefined);
      const cache = new BlockCache(path.join(work, `cache-${String(system)}`), 2 ** 30);
      cache.init();
      const sink = new KeepingSink();
      const fetcher = new BlockFetcher(cache, client);
      const engine = new Playback(fetcher, sink);
      try {
        await until('the formats said', async () =>
          (await client.request('lista')).fields.length > 0 ? true : undefined,
        );
        const song = splitRecords((await client.request('lista')).fields, 'song').map(parseSongFields)[0] as SongInfo;
        assert.equal(song.format, 'flac');
        for (const from of ['the daemon', 'the cache']) {
          const at = 40.5; // block 1, 10.5 s in: not a frame's edge (4096-sample frames at 48 kHz)
          engine.play(song, at);
          await until(`a second of sound from ${from}`, () => (sink.bytes() >= 48000 * 4 ? true : undefined), 15_000);
          const heard = Buffer.concat(sink.kept).subarray(0, 48000 * 4);
          const start = Math.round(at * 48000) * 4;
          assert.ok(
            heard.equals(recording.subarray(start, start + heard.length)),
            `the recording from ${at} s, from ${from}`,
          );
          // Stopped mid-download, a block is not kept: the one playing is on disk once it has all come.
          await until('block 1 on disk', () => cache.blocksOf(song.etag).has(1) || undefined);
          engine.stop();
          sink.kept = [];
        }
        assert.ok(cache.header(song.etag)?.length === 42, 'the decoder header kept with the blocks');
        // The last two seconds, to the song's end: every sample, and nothing after them.
        engine.play(song, 68);
        const tail = recording.subarray(68 * 48000 * 4);
        await until('the song played to its end', () => (sink.bytes() >= tail.length ? true : undefined), 15_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.ok(Buffer.concat(sink.kept).equals(tail), 'the recording from 68 s to its end');
      } finally {
        useSystemDecoders(true);
        engine.close();
        fetcher.close();
        client.close();
      }
    });
});
