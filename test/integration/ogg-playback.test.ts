/**
 * The player's Ogg path with the real client, fetcher, cache and decoders: a play from the middle
 * of a block gets the header pages first and drops the block's sound before the position, so its
 * first sample is the song's sample there (Vorbis exactly; Opus once its decoder has settled, which
 * a position 10 s into a block leaves it), from the daemon and from the cache; a song played whole
 * is as many samples as its granule positions say, no more (end trimming), for files from the
 * reference encoders.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toInt16 } from '../../common/audio/pcm.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { decodeOgg } from '../helpers/decode.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { until } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-ogg-play-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;

const sox = (...args: string[]): void => void execFileSync('sox', args);

before(async () => {
  mkdirSync(library);
  const long = path.join(work, 'long.wav');
  sox('-n', '-r', '48000', '-c', '2', '-b', '16', long, 'synth', '70', 'sine', '100-3000', 'pinknoise', 'vol', '0.4');
  const short = path.join(work, 'short.wav');
  sox('-n', '-r', '44100', '-c', '2', '-b', '16', short, 'synth', '4', 'sine', '300-900', 'vol', '0.4');
  execFileSync('oggenc', ['-Q', '-o', path.join(library, 'long.ogg'), long]);
  execFileSync('opusenc', ['--quiet', long, path.join(library, 'long.opus')]);
  execFileSync('oggenc', ['-Q', '-o', path.join(library, 'short.ogg'), short]);
  execFileSync('opusenc', ['--quiet', short, path.join(library, 'short.opus')]);
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The first channel of 16-bit stereo PCM. */
function leftOf(pcm: Buffer): Int16Array {
  const left = new Int16Array(pcm.length / 4);
  for (let i = 0; i < left.length; i++) left[i] = pcm.readInt16LE(i * 4);
  return left;
}

describe('Ogg in the playback engine', () => {
  let player: TestEngine;
  before(async () => {
    player = await startTestEngine(daemon.port, {
      name: 'ogg',
      formats: ['ogg', 'opus'],
      cacheDir: path.join(work, 'cache'),
    });
  });
  after(() => player.close());

  for (const [file, format, tolerance] of [
    ['long.ogg', 'ogg', 0],
    ['long.opus', 'opus', 40],
  ] as const) {
    it(`${file}: starts at a position inside a later block on the song's sample there, from the daemon and from the cache`, async () => {
      const song = player.songs.find((s) => s.file === file) as SongInfo;
      assert.equal(song.format, format);
      const whole = await decodeOgg(format, readFileSync(path.join(library, file)));
      const rate = song.sampleRate;
      for (const from of ['the daemon', 'the cache']) {
        const at = 40.5; // block 1, 10.5 s in
        player.engine.play(song, at);
        await until(
          `a second of sound from ${from}`,
          () => (player.sink.bytes() >= rate * 4 ? true : undefined),
          15_000,
        );
        const heard = leftOf(Buffer.concat(player.sink.kept).subarray(0, rate * 4));
        const start = Math.round(at * rate);
        let worst = 0;
        for (let i = 0; i < heard.length; i++)
          worst = Math.max(worst, Math.abs((heard[i] as number) - toInt16(whole[start + i] as number)));
        assert.ok(worst <= tolerance, `${file} from ${at} s, from ${from}: off by ${worst} at most`);
        // Stopped mid-download, a block is not kept: the one playing is on disk once it has all come.
        await until('block 1 on disk', () => player.cache.blocksOf(song.etag).has(1) || undefined);
        player.engine.stop();
        player.sink.kept = [];
      }
      assert.ok((player.cache.header(song.etag)?.length ?? 0) > 0, 'the header pages kept with the blocks');
    });
  }

  for (const file of ['short.ogg', 'short.opus']) {
    it(`${file}: played whole is the samples its last granule says, the decoder's own from the start`, async () => {
      const song = player.songs.find((s) => s.file === file) as SongInfo;
      const whole = await decodeOgg(song.format as 'ogg' | 'opus', readFileSync(path.join(library, file)));
      const endedBefore = player.ended();
      player.engine.play(song, 0);
      await until('the song played', () => (player.ended() > endedBefore ? true : undefined), 15_000);
      const heard = leftOf(Buffer.concat(player.sink.kept));
      assert.equal(heard.length, Math.round(song.duration * song.sampleRate), 'as long as the record says');
      assert.equal(heard.length, whole.length, 'as long as the decoder makes the file');
      assert.ok(
        heard.every((sample, i) => sample === toInt16(whole[i] as number)),
        'its samples',
      );
      player.sink.kept = [];
    });
  }
});
