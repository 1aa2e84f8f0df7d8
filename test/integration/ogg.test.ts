/**
 * Ogg Vorbis and Opus served as FLAC is, from files made by others (the reference `oggenc` and
 * `opusenc`, ffmpeg's libvorbis and libopus): listed with the length ffmpeg decodes (pre-skip and
 * end trimming from the granule positions) and their tags once a client says `formats ogg opus`;
 * the codec read from the stream, not the name; `header` then the blocks joined decode (ffmpeg) to
 * what the file decodes to, and `header` then any one block decodes (the player's libraries) to
 * the song's sound from where the block's first page says. A chained file serves its first stream;
 * Ogg FLAC and a file that is not Ogg are one log line each.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { oggBlockFirstSample } from '../../common/audio/ogg.js';
import { parseDecoderHeader } from '../../common/protocol/replies.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { decodeOgg } from '../helpers/decode.js';
import { captureLog } from '../helpers/log-capture.js';
import { assertRadioPlaysSine } from '../helpers/radio-song.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-ogg-'));
const library = path.join(work, 'library');
const sources = path.join(work, 'sources');

const run = (command: string, ...args: string[]): void => {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')}: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
};
const ffmpeg = (...args: string[]): void => run('ffmpeg', '-loglevel', 'error', '-y', ...args);

/** A WAV of noise and a sweep from sox, `seconds` long. */
function source(name: string, rate: number, channels: number, seconds: number): string {
  const wav = path.join(sources, `${name}.wav`);
  const shape = ['synth', String(seconds), 'pinknoise', 'sine', '100-3000', 'vol', '0.4'];
  run('sox', '-n', '-r', String(rate), '-c', String(channels), '-b', '16', wav, ...shape);
  return wav;
}

interface Made {
  file: string;
  format: 'ogg' | 'opus';
  rate: number;
  channels: number;
  title?: string;
}

const MADE: Made[] = [];
let daemon: TestDaemon;
const log = captureLog();

before(async () => {
  mkdirSync(library);
  mkdirSync(sources);
  // The reference Vorbis encoder, tagged as it encodes.
  run(
    'oggenc',
    '-Q',
    '-q',
    '3',
    '-t',
    'Ondas',
    '-a',
    'Quarteto',
    '-l',
    'Teste',
    '-N',
    '2',
    '-d',
    '2019',
    '-o',
    path.join(library, 'vorbis.ogg'),
    source('vorbis', 44100, 2, 65),
  );
  MADE.push({ file: 'vorbis.ogg', format: 'ogg', rate: 44100, channels: 2, title: 'Ondas' });
  // ffmpeg's libvorbis, mono, named .oga.
  ffmpeg(
    '-i',
    source('mono', 48000, 1, 35),
    '-c:a',
    'libvorbis',
    '-metadata',
    'title=Mono',
    path.join(library, 'mono.oga'),
  );
  MADE.push({ file: 'mono.oga', format: 'ogg', rate: 48000, channels: 1, title: 'Mono' });
  // The reference Opus encoder from 44.1 kHz (it resamples to 48), with a large picture in its tags.
  const picture = path.join(sources, 'cover.png');
  ffmpeg('-f', 'lavfi', '-i', 'color=s=600x600', '-vf', 'geq=random(1)*255:128:128', '-frames:v', '1', picture);
  run(
    'opusenc',
    '--quiet',
    '--title',
    'Voz',
    '--artist',
    'Coro',
    '--picture',
    picture,
    source('opus', 44100, 2, 65),
    path.join(library, 'opusenc.opus'),
  );
  MADE.push({ file: 'opusenc.opus', format: 'opus', rate: 48000, channels: 2, title: 'Voz' });
  // ffmpeg's libopus, in a file named .ogg: the stream says what it is.
  ffmpeg('-i', source('ffopus', 48000, 2, 31), '-c:a', 'libopus', '-b:a', '96k', path.join(library, 'ffmpeg-opus.ogg'));
  MADE.push({ file: 'ffmpeg-opus.ogg', format: 'opus', rate: 48000, channels: 2 });
  // Two streams one after the other (chained): the first is served, said in the log.
  const first = path.join(sources, 'first.ogg');
  const second = path.join(sources, 'second.ogg');
  run('oggenc', '-Q', '-o', first, source('first', 44100, 2, 4));
  run('oggenc', '-Q', '-o', second, source('second', 44100, 2, 3));
  writeFileSync(path.join(library, 'chained.ogg'), Buffer.concat([readFileSync(first), readFileSync(second)]));
  // A short sine for the radio.
  const sine = path.join(sources, 'sine.wav');
  run('sox', '-n', '-r', '48000', '-c', '2', '-b', '16', sine, 'synth', '3', 'sine', '440', 'vol', '0.5');
  run('opusenc', '--quiet', sine, path.join(library, 'sine.opus'));
  MADE.push({ file: 'sine.opus', format: 'opus', rate: 48000, channels: 2 });
  // Ogg FLAC, and a file that is not Ogg at all: each one log line, the rest served.
  run('flac', '-s', '--ogg', '-o', path.join(library, 'ogg-flac.oga'), sine);
  writeFileSync(path.join(library, 'noise.opus'), Buffer.alloc(5000, 7));
  daemon = await startTestDaemon(library, { log });
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** What ffmpeg decodes a file (or Ogg bytes) to: 16-bit, the first channel, at the stream's rate. */
function ffmpegPcm(input: string | Buffer): Buffer {
  const from = typeof input === 'string' ? ['-i', input] : ['-f', 'ogg', '-i', 'pipe:0'];
  return execFileSync(
    'ffmpeg',
    ['-loglevel', 'error', ...from, '-map', '0:a:0', '-af', 'pan=mono|c0=c0', '-f', 's16le', 'pipe:1'],
    {
      ...(typeof input === 'string' ? {} : { input }),
      maxBuffer: 256 * 1024 * 1024,
    },
  );
}

async function oggClient(): Promise<TestClient> {
  const { client } = await TestClient.connect(daemon.port);
  const said = await client.line('formats ogg opus');
  assert.ok(said.ok, said.text);
  assert.deepEqual(
    said.fields.map(([, value]) => value),
    ['mp3', 'wav', 'ogg', 'opus'],
  );
  return client;
}

describe('Ogg Vorbis and Opus', () => {
  it('are listed with the length ffmpeg decodes, the codec the stream holds and their tags', async () => {
    const client = await oggClient();
    try {
      const songs = records(await client.line('lista'), 'song');
      assert.deepEqual(songs.map((s) => s.get('file')).sort(), [...MADE.map((m) => m.file), 'chained.ogg'].sort());
      for (const made of MADE) {
        const song = songs.find((s) => s.get('file') === made.file) as Map<string, string>;
        const samples = ffmpegPcm(path.join(library, made.file)).length / 2;
        assert.equal(song.get('format'), made.format, made.file);
        assert.equal(song.get('duration'), (samples / made.rate).toFixed(3), `${made.file}: duration`);
        assert.equal(Number(song.get('sample_rate')), made.rate);
        assert.equal(Number(song.get('channels')), made.channels);
        if (made.title) assert.equal(song.get('title'), made.title, `${made.file}: title`);
      }
      const vorbis = songs.find((s) => s.get('file') === 'vorbis.ogg') as Map<string, string>;
      assert.deepEqual(
        [vorbis.get('artist'), vorbis.get('album'), vorbis.get('track'), vorbis.get('year')],
        ['Quarteto', 'Teste', '2', '2019'],
      );
      assert.equal(songs.find((s) => s.get('file') === 'opusenc.opus')?.get('artist'), 'Coro');
      const chained = songs.find((s) => s.get('file') === 'chained.ogg') as Map<string, string>;
      assert.equal(chained.get('duration'), (ffmpegPcm(path.join(sources, 'first.ogg')).length / 2 / 44100).toFixed(3));
      for (const [name, why] of [
        ['chained.ogg', /chained/],
        ['ogg-flac.oga', /other than Vorbis or Opus/],
        ['noise.opus', /not an Ogg stream/],
      ] as const) {
        const lines = log.lines.filter((line) => line.includes(name));
        assert.equal(lines.length, 1, `one log line for ${name}:\n${log.lines.join('\n')}`);
        assert.match(lines[0] as string, why);
      }
    } finally {
      client.close();
    }
  });

  it('header then the blocks joined decode as the file does; header then any block decodes from where its first page says', async () => {
    const client = await oggClient();
    try {
      for (const made of MADE) {
        const reply = await client.command('header', made.file);
        assert.ok(reply.ok, reply.text);
        const header = parseDecoderHeader(reply.fields);
        assert.equal(createHash('sha256').update(header.bytes).digest('hex'), header.sha256);
        assert.ok(header.bytes.length < 16 * 1024, `${made.file}: its header pages without tags or picture`);
        // Opus's few hundred bytes are kept by the scan and answered from it; Vorbis's setup is read when asked.
        const kept = daemon.catalog.songAt(made.file)?.decoderHeader;
        if (made.format === 'opus') assert.equal(kept, header.bytes.toString('base64'), made.file);
        else assert.equal(kept, undefined, `${made.file}: ${header.bytes.length} bytes`);
        const download = await client.command('download', made.file);
        assert.ok(download.ok && download.trackEnd, download.text);
        for (const { header: block, data } of download.blocks)
          assert.equal(createHash('sha256').update(data).digest('hex'), block.sha256, `${made.file} ${block.index}`);
        const joined = Buffer.concat([header.bytes, ...download.blocks.map((b) => b.data)]);
        assert.ok(ffmpegPcm(joined).equals(ffmpegPcm(path.join(library, made.file))), `${made.file}: joined`);
        const whole = await decodeOgg(made.format, joined);
        for (const { header: block, data } of download.blocks.slice(1)) {
          const first = oggBlockFirstSample(header.bytes, data) as number;
          const window = Math.round(block.start * made.rate);
          // A page holds up to about a second (opusenc's default), and a block starts on one.
          assert.ok(first >= window && first - window <= 2 * made.rate, `${made.file} ${block.index}: in its window`);
          const alone = await decodeOgg(made.format, header.bytes, data);
          assert.ok(alone.length > 0 && first + alone.length <= whole.length, `${made.file} ${block.index}: length`);
          // Vorbis comes out as the whole song's samples; Opus after its decoder settles (RFC 7845: 80 ms).
          const settled = made.format === 'opus' ? 9600 : 0;
          let worst = 0;
          for (let i = settled; i < alone.length; i++)
            worst = Math.max(worst, Math.abs((alone[i] as number) - (whole[first + i] as number)));
          assert.ok(worst < (made.format === 'opus' ? 0.01 : 1e-6), `${made.file} ${block.index}: off by ${worst}`);
        }
      }
    } finally {
      client.close();
    }
  });

  it("plays on the radio (decoded and encoded as the programme's MP3)", () =>
    assertRadioPlaysSine(library, 'sine.opus', { rate: 48000, seconds: 3, hz: 440 }));

  it('are neither listed nor served to a client that has not said formats ogg opus', async () => {
    const { client } = await TestClient.connect(daemon.port);
    try {
      assert.deepEqual(records(await client.line('lista'), 'song'), []);
      const download = await client.command('download', 'vorbis.ogg');
      assert.equal(download.code, 'not_found');
      assert.match(download.text, /ogg.*formats/);
      assert.equal((await client.line('header opusenc.opus')).code, 'not_found');
    } finally {
      client.close();
    }
  });
});
