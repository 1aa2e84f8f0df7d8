/**
 * M4A served and played: AAC-LC and ALAC made by ffmpeg (its own AAC encoder, its ALAC; tagged,
 * one with a cover picture in its `moov`), listed with their exact length (the edit list's, which
 * leaves out AAC's priming and padding), rate, channels and tags once a client says
 * `formats m4a`; its blocks joined are the file's audio bytes; the player (the real client,
 * fetcher, cache, and the ffmpeg it decodes through) starts a play inside a later block on the
 * song's sample there, and plays a song whole as exactly its samples.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMp4DecoderHeader } from '../../common/audio/mp4.js';
import { parseDecoderHeader } from '../../common/protocol/replies.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { until } from '../helpers/log-capture.js';
import { assertRadioPlaysSine } from '../helpers/radio-song.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-m4a-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;

const ffmpeg = (...args: string[]): void =>
  void execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
/** 16-bit PCM of a file, as ffmpeg decodes it (an M4A's priming left out by its edit list). */
const pcmOf = (file: string, channels = 2): Buffer =>
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', file, '-ac', String(channels), '-f', 's16le', 'pipe:1'], {
    maxBuffer: 256 * 1024 * 1024,
  });

interface Made {
  file: string;
  source: string;
  rate: number;
  channels: number;
  bits?: number;
  title?: string;
}
const MADE: Made[] = [];

before(async () => {
  mkdirSync(library);
  const source = (name: string, rate: number, channels: number, bits: number, seconds: number): string => {
    const wav = path.join(work, `${name}.wav`);
    execFileSync('sox', [
      ...['-n', '-r', String(rate), '-c', String(channels), '-b', String(bits), wav],
      ...['synth', String(seconds), 'sine', '100-3000', 'pinknoise', 'vol', '0.4'],
    ]);
    return wav;
  };
  const cover = path.join(work, 'cover.png');
  ffmpeg('-f', 'lavfi', '-i', 'color=s=300x300:c=red', '-frames:v', '1', cover);
  const long = source('long', 44100, 2, 16, 65);
  ffmpeg(
    ...['-i', long, '-i', cover, '-map', '0', '-map', '1', '-c:a', 'aac', '-b:a', '192k', '-c:v', 'copy'],
    ...['-disposition:v', 'attached_pic', '-metadata', 'title=Onda', '-metadata', 'artist=Trio'],
    ...['-metadata', 'album=Teste', '-metadata', 'track=3', '-metadata', 'date=2021'],
    path.join(library, 'aac.m4a'),
  );
  MADE.push({ file: 'aac.m4a', source: long, rate: 44100, channels: 2, title: 'Onda' });
  ffmpeg('-i', long, '-c:a', 'alac', '-metadata', 'title=Sem perdas', path.join(library, 'alac.m4a'));
  MADE.push({ file: 'alac.m4a', source: long, rate: 44100, channels: 2, bits: 16, title: 'Sem perdas' });
  const hires = source('hires', 96000, 2, 24, 31);
  ffmpeg('-i', hires, '-c:a', 'alac', path.join(library, 'hires.m4a'));
  MADE.push({ file: 'hires.m4a', source: hires, rate: 96000, channels: 2, bits: 24 });
  const short = path.join(work, 'short.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', short, 'synth', '3', 'sine', '440', 'vol', '0.5']);
  ffmpeg('-i', short, '-c:a', 'aac', path.join(library, 'short.m4a'));
  MADE.push({ file: 'short.m4a', source: short, rate: 48000, channels: 1 });
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Seconds of a WAV as sox counts its samples. */
const wavSeconds = (file: string): number => Number(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }));

describe('M4A in the daemon', () => {
  it('is listed with its exact length, rate, channels, bits and tags once a client says formats m4a', async () => {
    const { client } = await TestClient.connect(daemon.port);
    try {
      assert.deepEqual(records(await client.line('lista'), 'song'), [], 'none before formats m4a');
      assert.ok((await client.line('formats m4a')).ok);
      const songs = records(await client.line('lista'), 'song');
      assert.deepEqual(songs.map((s) => s.get('file')).sort(), MADE.map((m) => m.file).sort());
      for (const made of MADE) {
        const song = songs.find((s) => s.get('file') === made.file) as Map<string, string>;
        assert.equal(song.get('format'), 'm4a');
        assert.equal(song.get('duration'), wavSeconds(made.source).toFixed(3), `${made.file}: duration`);
        assert.equal(Number(song.get('sample_rate')), made.rate);
        assert.equal(Number(song.get('channels')), made.channels);
        assert.equal(song.get('bits'), made.bits === undefined ? undefined : String(made.bits));
        if (made.title) assert.equal(song.get('title'), made.title);
      }
      const aac = songs.find((s) => s.get('file') === 'aac.m4a') as Map<string, string>;
      assert.deepEqual(
        [aac.get('artist'), aac.get('album'), aac.get('track'), aac.get('year')],
        ['Trio', 'Teste', '3', '2021'],
      );
    } finally {
      client.close();
    }
  });

  it('serves the sample table as its header, and blocks that join into the file audio bytes', async () => {
    const { client } = await TestClient.connect(daemon.port);
    try {
      assert.ok((await client.line('formats m4a')).ok);
      for (const made of MADE) {
        const header = parseDecoderHeader((await client.command('header', made.file)).fields);
        assert.equal(createHash('sha256').update(header.bytes).digest('hex'), header.sha256);
        const table = parseMp4DecoderHeader(header.bytes);
        assert.ok(table, `${made.file}: its header reads`);
        const download = await client.command('download', made.file);
        assert.ok(download.ok && download.trackEnd, download.text);
        assert.equal(table.blocks.length, download.blocks.length);
        const joined = Buffer.concat(download.blocks.map((b) => b.data));
        assert.equal(
          joined.length,
          table.sizes.reduce((sum, size) => sum + size, 0),
          'the samples, nothing between',
        );
        const file = readFileSync(path.join(library, made.file));
        assert.ok(file.includes(joined), `${made.file}: the file's bytes`);
        assert.ok(joined.length < statSync(path.join(library, made.file)).size);
      }
    } finally {
      client.close();
    }
  });
});

describe('M4A in the playback engine (through ffmpeg)', () => {
  let player: TestEngine;
  before(async () => {
    player = await startTestEngine(daemon.port, { name: 'm4a', formats: ['m4a'], cacheDir: path.join(work, 'cache') });
  });
  after(() => player.close());

  for (const [file, tolerance] of [
    ['alac.m4a', 0],
    ['aac.m4a', 2],
  ] as const) {
    it(`${file}: starts inside a later block on the song's sample there, from the daemon and from the cache`, async () => {
      const song = player.songs.find((s) => s.file === file) as SongInfo;
      const expected =
        file === 'alac.m4a'
          ? execFileSync('sox', [path.join(work, 'long.wav'), '-t', 'raw', '-'], { maxBuffer: 64 * 1024 * 1024 })
          : pcmOf(path.join(library, file));
      for (const from of ['the daemon', 'the cache']) {
        const at = 40.5;
        player.engine.play(song, at);
        await until(
          `a second of sound from ${from}`,
          () => (player.sink.bytes() >= 44100 * 4 ? true : undefined),
          15_000,
        );
        const heard = Buffer.concat(player.sink.kept).subarray(0, 44100 * 4);
        const start = Math.round(at * 44100) * 4;
        let worst = 0;
        for (let i = 0; i < heard.length; i += 2)
          worst = Math.max(worst, Math.abs(heard.readInt16LE(i) - expected.readInt16LE(start + i)));
        assert.ok(worst <= tolerance, `${file} from ${at} s, from ${from}: off by ${worst}`);
        await until('block 1 on disk', () => player.cache.blocksOf(song.etag).has(1) || undefined);
        player.engine.stop();
        player.sink.kept = [];
      }
    });
  }

  it('plays a song whole as exactly its samples: the priming and the padding left out', async () => {
    const song = player.songs.find((s) => s.file === 'short.m4a') as SongInfo;
    const expected = pcmOf(path.join(library, 'short.m4a'), 1);
    const endedBefore = player.ended();
    player.engine.play(song, 0);
    await until('the song played', () => (player.ended() > endedBefore ? true : undefined), 15_000);
    const heard = Buffer.concat(player.sink.kept);
    assert.equal(heard.length / 2, 3 * 48000, 'its 3 s, to the sample');
    assert.ok(heard.equals(expected.subarray(0, heard.length)), 'the samples ffmpeg decodes the file to');
    player.sink.kept = [];
  });
});

describe('M4A on the radio', () => {
  it("plays through ffmpeg, encoded as the programme's MP3", () =>
    assertRadioPlaysSine(library, 'short.m4a', { rate: 48000, seconds: 3, hz: 440 }));
});
