/**
 * FLAC served as MP3 and WAV are, from files made by others (the reference encoder `flac`, ffmpeg's
 * own encoder, sox): listed with ffprobe's duration and tags once a client says `formats flac`;
 * every block's SHA-256 right; `header` then the blocks joined decode (ffmpeg) to the very PCM the
 * file was made from, and `header` then any one block decodes to that PCM from the block's first
 * frame. A client that has not said `formats flac` sees no FLAC song, and a file that is not FLAC
 * is one log line, the rest served.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDecoderHeader } from '../../common/protocol/replies.js';
import { id3v2Tag } from '../../daemon/demo/id3-writer.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { captureLog, until } from '../helpers/log-capture.js';
import { assertRadioPlaysSine } from '../helpers/radio-song.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-flac-'));
const library = path.join(work, 'library');
const sources = path.join(work, 'sources');

interface Made {
  file: string;
  /** The PCM the FLAC was made from, little-endian, at the file's own width. */
  wav: string;
  rate: number;
  channels: number;
  bits: number;
}

const run = (command: string, ...args: string[]): void => {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')}: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
};

/** A WAV of noise and tones from sox (so that the FLAC frames vary in size), `seconds` long. */
function source(name: string, rate: number, channels: number, bits: number, seconds: number): string {
  const wav = path.join(sources, `${name}.wav`);
  run(
    'sox',
    '-n',
    '-r',
    String(rate),
    '-c',
    String(channels),
    '-b',
    String(bits),
    wav,
    'synth',
    String(seconds),
    'pinknoise',
    'sine',
    '440',
    'vol',
    '0.4',
  );
  return wav;
}

const MADE: Made[] = [];
let daemon: TestDaemon;
const log = captureLog();

before(async () => {
  mkdirSync(library);
  mkdirSync(sources);
  const add = (file: string, wav: string, rate: number, channels: number, bits: number): void => {
    MADE.push({ file, wav, rate, channels, bits });
  };
  // The reference encoder, CD quality, tagged by metaflac, with a picture block and a seek table.
  const cd = source('cd', 44100, 2, 16, 65);
  run('flac', '-s', '-5', '-o', path.join(library, 'cd.flac'), cd);
  run(
    'metaflac',
    '--set-tag=TITLE=Ondas',
    '--set-tag=ARTIST=Quarteto',
    '--set-tag=ALBUM=Teste',
    '--set-tag=TRACKNUMBER=2',
    '--set-tag=DATE=2019',
    path.join(library, 'cd.flac'),
  );
  // A large picture (3 MB of noise as PNG): the daemon steps over it.
  const picture = path.join(sources, 'cover.png');
  run(
    'ffmpeg',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=s=1000x1000',
    '-vf',
    'geq=random(1)*255:128:128',
    '-frames:v',
    '1',
    picture,
  );
  run('metaflac', `--import-picture-from=${picture}`, path.join(library, 'cd.flac'));
  add('cd.flac', cd, 44100, 2, 16);
  // 24-bit 96 kHz, the slowest preset, no seek table.
  const hires = source('hires', 96000, 2, 24, 40);
  run('flac', '-s', '-8', '--no-seektable', '-o', path.join(library, 'hires.flac'), hires);
  add('hires.flac', hires, 96000, 2, 24);
  // Mono 22.05 kHz with small frames.
  const mono = source('mono', 22050, 1, 16, 35);
  run('flac', '-s', '-0', '--blocksize=1152', '-o', path.join(library, 'mono.flac'), mono);
  add('mono.flac', mono, 22050, 1, 16);
  // ffmpeg's own FLAC encoder (not libFLAC), six channels.
  const surround = source('surround', 48000, 6, 16, 33);
  run(
    'ffmpeg',
    '-loglevel',
    'error',
    '-i',
    surround,
    '-c:a',
    'flac',
    '-metadata',
    'title=Seis',
    path.join(library, 'surround.flac'),
  );
  add('surround.flac', surround, 48000, 6, 16);
  // sox's FLAC, with an ID3v2 tag put before it (some taggers do).
  const plain = source('plain', 32000, 2, 16, 31);
  const soxFlac = path.join(sources, 'sox.flac');
  run('sox', plain, soxFlac);
  writeFileSync(
    path.join(library, 'id3-first.flac'),
    Buffer.concat([id3v2Tag({ title: 'Antes' }), readFileSync(soxFlac)]),
  );
  add('id3-first.flac', plain, 32000, 2, 16);
  // A short sine for the radio.
  const sine = path.join(sources, 'sine.wav');
  run('sox', '-n', '-r', '44100', '-c', '2', '-b', '16', sine, 'synth', '3', 'sine', '440', 'vol', '0.5');
  run('flac', '-s', '-o', path.join(library, 'sine.flac'), sine);
  add('sine.flac', sine, 44100, 2, 16);
  // And one at a rate no MP3 has, which the radio resamples.
  const sine96 = path.join(sources, 'sine96.wav');
  run('sox', '-n', '-r', '96000', '-c', '2', '-b', '24', sine96, 'synth', '3', 'sine', '440', 'vol', '0.5');
  run('flac', '-s', '-o', path.join(library, 'sine96.flac'), sine96);
  add('sine96.flac', sine96, 96000, 2, 24);
  // Not FLAC at all, and FLAC cut off in its metadata: each one log line.
  writeFileSync(path.join(library, 'noise.flac'), Buffer.alloc(5000, 7));
  writeFileSync(path.join(library, 'cut.flac'), readFileSync(path.join(library, 'cd.flac')).subarray(0, 20));
  daemon = await startTestDaemon(library, { log });
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** ffprobe's view of a file: duration from its sample count, and its tags. */
function ffprobe(file: string): { duration: number; tags: Record<string, string> } {
  const out = JSON.parse(
    execFileSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=duration_ts,sample_rate:format_tags', '-of', 'json', file],
      {
        encoding: 'utf8',
      },
    ),
  ) as { streams: Array<{ duration_ts: number; sample_rate: string }>; format: { tags?: Record<string, string> } };
  const stream = out.streams[0] as { duration_ts: number; sample_rate: string };
  const tags = Object.fromEntries(Object.entries(out.format.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { duration: stream.duration_ts / Number(stream.sample_rate), tags };
}

/** FLAC bytes to PCM at the stream's own width, by ffmpeg. */
function ffmpegPcm(flac: Buffer, bits: number): Buffer {
  return execFileSync(
    'ffmpeg',
    ['-loglevel', 'error', '-f', 'flac', '-i', 'pipe:0', '-f', bits === 24 ? 's24le' : 's16le', 'pipe:1'],
    { input: flac, maxBuffer: 256 * 1024 * 1024 },
  );
}

/** The PCM of the WAV a file was made from (its data chunk). */
function sourcePcm(made: Made): Buffer {
  return execFileSync('sox', [made.wav, '-t', 'raw', '-'], { maxBuffer: 256 * 1024 * 1024 });
}

async function flacClient(): Promise<TestClient> {
  const { client } = await TestClient.connect(daemon.port);
  const said = await client.line('formats flac');
  assert.ok(said.ok, said.text);
  assert.deepEqual(
    said.fields.map(([, value]) => value),
    ['mp3', 'wav', 'flac'],
  );
  return client;
}

describe('FLAC', () => {
  it('is listed with the duration, format and tags ffprobe reads, once the client says formats flac', async () => {
    const client = await flacClient();
    try {
      const songs = records(await client.line('lista'), 'song');
      assert.deepEqual(songs.map((s) => s.get('file')).sort(), MADE.map((m) => m.file).sort());
      for (const made of MADE) {
        const song = songs.find((s) => s.get('file') === made.file) as Map<string, string>;
        const probe = ffprobe(path.join(library, made.file));
        assert.equal(song.get('format'), 'flac');
        assert.equal(song.get('duration'), probe.duration.toFixed(3), `${made.file}: duration`);
        assert.equal(Number(song.get('sample_rate')), made.rate);
        assert.equal(Number(song.get('channels')), made.channels);
        assert.equal(Number(song.get('bits')), made.bits);
        if (probe.tags['title']) assert.equal(song.get('title'), probe.tags['title'], `${made.file}: title`);
      }
      const cd = songs.find((s) => s.get('file') === 'cd.flac') as Map<string, string>;
      assert.deepEqual(
        [cd.get('title'), cd.get('artist'), cd.get('album'), cd.get('track'), cd.get('year')],
        ['Ondas', 'Quarteto', 'Teste', '2', '2019'],
      );
      assert.equal(songs.find((s) => s.get('file') === 'id3-first.flac')?.get('title'), 'Antes');
      for (const name of ['noise.flac', 'cut.flac'])
        assert.equal(
          log.lines.filter((line) => line.includes(name)).length,
          1,
          `one log line for ${name}:\n${log.lines.join('\n')}`,
        );
    } finally {
      client.close();
    }
  });

  it('header then the blocks joined decode to the PCM the file was made from; header then any block decodes from its first frame', async () => {
    const client = await flacClient();
    try {
      for (const made of MADE) {
        const reply = await client.command('header', made.file);
        assert.ok(reply.ok, reply.text);
        const header = parseDecoderHeader(reply.fields);
        assert.equal(createHash('sha256').update(header.bytes).digest('hex'), header.sha256);
        assert.equal(header.bytes.length, 42, 'fLaC and STREAMINFO');
        // Kept by the scan and answered from it: no read of the file between a key and the sound.
        assert.equal(daemon.catalog.songAt(made.file)?.decoderHeader, header.bytes.toString('base64'));
        const download = await client.command('download', made.file);
        assert.ok(download.ok && download.trackEnd, download.text);
        for (const { header: block, data } of download.blocks)
          assert.equal(
            createHash('sha256').update(data).digest('hex'),
            block.sha256,
            `${made.file} block ${block.index}`,
          );
        const expected = sourcePcm(made);
        const whole = ffmpegPcm(Buffer.concat([header.bytes, ...download.blocks.map((b) => b.data)]), made.bits);
        assert.ok(whole.equals(expected), `${made.file}: ${whole.length} bytes decoded, ${expected.length} made`);
        const frameBytes = made.channels * (made.bits / 8);
        for (const { header: block, data } of download.blocks.slice(1)) {
          const alone = ffmpegPcm(Buffer.concat([header.bytes, data]), made.bits);
          // Where it starts: the block's first frame, at its window's start or up to a frame after it.
          const start = expected.indexOf(
            alone.subarray(0, 64 * frameBytes),
            Math.round(block.start * made.rate) * frameBytes,
          );
          assert.ok(start >= 0 && start % frameBytes === 0, `${made.file} block ${block.index} decodes alone`);
          assert.ok(start / frameBytes - block.start * made.rate < 65536, 'within a frame of its window');
          assert.ok(
            alone.equals(expected.subarray(start, start + alone.length)),
            `${made.file} block ${block.index}: its samples`,
          );
        }
      }
    } finally {
      client.close();
    }
  });

  it('the header the scan kept is in the stored catalog, for the next start', async () => {
    const file = path.join(daemon.stateDir, 'catalog.json');
    const stored = await until('the stored catalog', () => {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const songs = text
        ? (JSON.parse(text) as { songs: Array<{ info: { file: string }; decoderHeader?: string }> }).songs
        : [];
      return MADE.every((made) => songs.some((song) => song.info.file === made.file))
        ? new Map(songs.map((song) => [song.info.file, song.decoderHeader]))
        : undefined;
    });
    for (const made of MADE) {
      const kept = stored.get(made.file);
      assert.equal(kept, daemon.catalog.songAt(made.file)?.decoderHeader, made.file);
      assert.equal(
        Buffer.from(kept as string, 'base64')
          .subarray(0, 4)
          .toString('latin1'),
        'fLaC',
        made.file,
      );
    }
  });

  for (const [file, rate] of [
    ['sine.flac', 44100],
    ['sine96.flac', 48000],
  ] as const) {
    const resampled = rate === 48000 ? ', resampled to 48 kHz by ffmpeg' : '';
    it(`plays ${file} on the radio (decoded and encoded as the programme's MP3${resampled})`, () =>
      assertRadioPlaysSine(library, file, { rate, seconds: 3, hz: 440 }));
  }

  it('is neither listed nor served to a client that has not said formats flac', async () => {
    const { client } = await TestClient.connect(daemon.port);
    try {
      assert.deepEqual(records(await client.line('lista'), 'song'), []);
      const download = await client.command('download', 'cd.flac');
      assert.equal(download.code, 'not_found');
      assert.match(download.text, /flac.*formats/);
      assert.equal((await client.line('formats ogg-theora')).code, 'bad_argument');
    } finally {
      client.close();
    }
  });
});
