/**
 * Songs of every format over UDP, as `--transport udp` fetches them: the player's downloader
 * through a relay that drops 10 % of the datagrams, reorders and duplicates others, into the
 * playback engine with its real decoders. A play from inside block 1 needs the decoder header
 * (asked over TCP) and block 1 (repaired over UDP); its sound must be the file's at that sample, as
 * the format's reference decoder makes it (flac, libvorbis and libopus, ffmpeg), and the blocks
 * cached must be the ones TCP serves.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toInt16 } from '../../common/audio/pcm.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { UdpDownloader } from '../../tui/daemon-link/udp-downloader.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { decodeOgg } from '../helpers/decode.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { until } from '../helpers/log-capture.js';
import { lossyRelay, type LossyRelay } from '../helpers/lossy-relay.js';
import { TestClient } from '../helpers/client.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-udp-formats-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;
let relay: LossyRelay;
let downloader: UdpDownloader;
let player: TestEngine;

const run = (command: string, ...args: string[]): Buffer =>
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, timeout: 60_000 });

/** The first channel of interleaved 16-bit stereo. */
const leftOf = (pcm: Buffer): Int16Array =>
  Int16Array.from({ length: pcm.length / 4 }, (_, i) => pcm.readInt16LE(4 * i));

/** The file's first channel as its format's reference decoder makes it. */
async function reference(file: string, format: string): Promise<Int16Array> {
  const full = path.join(library, file);
  if (format === 'ogg' || format === 'opus')
    return Int16Array.from(await decodeOgg(format, readFileSync(full)), toInt16);
  const pcm =
    format === 'flac'
      ? run('flac', '-d', '-s', '-c', '--force-raw-format', '--endian=little', '--sign=signed', full)
      : run('ffmpeg', '-loglevel', 'error', '-i', full, '-ac', '2', '-f', 's16le', 'pipe:1');
  return leftOf(pcm);
}

before(async () => {
  mkdirSync(library);
  const wav = path.join(work, 'source.wav');
  run(
    'sox',
    '-n',
    '-r',
    '48000',
    '-c',
    '2',
    '-b',
    '16',
    wav,
    'synth',
    '45',
    'sine',
    '100-3000',
    'pinknoise',
    'vol',
    '0.4',
  );
  run('flac', '-s', '-f', wav, '-o', path.join(library, 'song.flac'));
  run('oggenc', '-Q', wav, '-o', path.join(library, 'song.ogg'));
  run('opusenc', '--quiet', wav, path.join(library, 'song.opus'));
  run('ffmpeg', '-loglevel', 'error', '-i', wav, '-c:a', 'alac', path.join(library, 'song.m4a'));
  daemon = await startTestDaemon(library);
  player = await startTestEngine(daemon.port, {
    name: 'udp-formats',
    formats: ['flac', 'ogg', 'opus', 'm4a'],
    cacheDir: path.join(work, 'cache'),
    source: (client) => (downloader = new UdpDownloader(client, { host: '127.0.0.1', port: daemon.udpPort })),
  });
  relay = await lossyRelay(
    { forwardTo: await downloader.open(), upstreamPort: daemon.udpPort },
    { loss: 0.1, reorder: 0.05, duplicate: 0.05, delayMs: 20, seed: 3 },
  );
  downloader.advertisedPort = relay.port;
  downloader.keepalivePort = relay.port;
});

after(async () => {
  player.close();
  relay.close();
  downloader.close();
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('every format over UDP, with loss repaired', () => {
  for (const [file, format, tolerance] of [
    ['song.flac', 'flac', 0],
    ['song.ogg', 'ogg', 0],
    ['song.opus', 'opus', 40],
    ['song.m4a', 'm4a', 0],
  ] as const) {
    it(`${file}: a play inside block 1 sounds as the file there, and its blocks are the ones TCP serves`, async () => {
      const song = player.songs.find((s) => s.file === file) as SongInfo;
      assert.equal(song.format, format);
      const whole = await reference(file, format);
      const dropped = relay.counts.dropped;
      const rate = song.sampleRate;
      const at = 40.5; // block 1, 10.5 s in: past the Opus decoder's settling
      player.engine.play(song, at);
      await until('a second of sound', () => (player.sink.bytes() >= rate * 4 ? true : undefined), 20_000);
      const heard = leftOf(Buffer.concat(player.sink.kept).subarray(0, rate * 4));
      const start = Math.round(at * rate);
      let worst = 0;
      for (let i = 0; i < heard.length; i++)
        worst = Math.max(worst, Math.abs((heard[i] as number) - (whole[start + i] as number)));
      assert.ok(worst <= tolerance, `${file}: off by ${worst} at most`);
      await until('block 1 on disk', () => player.cache.blocksOf(song.etag).has(1) || undefined, 20_000);
      player.engine.stop();
      player.sink.kept = [];
      assert.ok(relay.counts.dropped > dropped, 'datagrams of this song were dropped, and repaired');
      const { client } = await TestClient.connect(daemon.port);
      await client.line('formats flac ogg opus m4a');
      const viaTcp = await client.command('download', file, 1, 1);
      client.close();
      assert.deepEqual(await player.cache.read(song.etag, 1), viaTcp.blocks[0]?.data, 'the cached block is TCP’s');
    });
  }
});
