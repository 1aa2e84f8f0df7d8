/**
 * Files nobody here wrote: the WAVs Debian's alsa-utils ships, and files made at test time by
 * ffmpeg, sox and lame with their less common options (MPEG-2 and 2.5 layer III, no Xing header,
 * ID3v2.3 and 2.4 with a large picture, junk before the first frame, a cut-off last frame; WAV 8-bit,
 * 24-bit, WAVE_FORMAT_EXTENSIBLE, six channels, a LIST chunk before `data`). Each is listed with
 * the duration ffprobe reads (MP3: within a frame, as ffprobe counts the Info frame and the
 * encoder's delay differently) and its tags; every block's SHA-256 is right; the blocks joined
 * decode (ffmpeg) to the PCM of the file itself (WAV) or to as many samples (MP3). A file that
 * cannot be served is one log line that names it; the rest are served.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { captureLog } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-others-'));
const library = path.join(work, 'library');
const log = captureLog();
let daemon: TestDaemon;
const ALSA_SOUNDS = '/usr/share/sounds/alsa';

function run(command: string, ...args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')}: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
}
const ffmpeg = (...args: string[]): void => run('ffmpeg', '-loglevel', 'error', '-y', ...args);
const into = (name: string): string => path.join(library, name);

/** Files expected to be listed; the rest of the library is expected to be left out with a log line. */
const SERVED: string[] = [];
/**
 * What ffprobe and ffmpeg are asked about a file: itself, except for the MP3 with junk before it,
 * in which they miss LAME's Info frame (and so its encoder delay and padding): the same MP3
 * without the junk stands for it.
 */
const REFERENCE: Record<string, string> = {};
/** Files that are expected to be refused, with what the log line says. */
const REFUSED: Array<[string, RegExp]> = [];

before(async () => {
  mkdirSync(library);
  const tone = path.join(work, 'tone.wav');
  run(
    'sox',
    '-n',
    '-r',
    '44100',
    '-c',
    '2',
    '-b',
    '16',
    tone,
    'synth',
    '35',
    'sine',
    '300-900',
    'pinknoise',
    'vol',
    '0.3',
  );
  const cover = path.join(work, 'cover.png');
  ffmpeg('-f', 'lavfi', '-i', 'color=s=800x800', '-vf', 'geq=random(1)*255:90:200', '-frames:v', '1', cover);

  // MP3 by ffmpeg (libmp3lame): MPEG-2 at 22.05 kHz with ID3v2.3 tags and a large picture,
  // MPEG-2.5 at 11.025 and 8 kHz, ID3v2.4.
  ffmpeg(
    '-i',
    tone,
    '-i',
    cover,
    '-map',
    '0',
    '-map',
    '1',
    '-ar',
    '22050',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    '-c:v',
    'copy',
    '-id3v2_version',
    '3',
    '-metadata',
    'title=Vinte e Dois',
    '-metadata',
    'artist=FFmpeg',
    into('mpeg2-id3v23-cover.mp3'),
  );
  ffmpeg(
    '-i',
    tone,
    '-ar',
    '11025',
    '-ac',
    '1',
    '-c:a',
    'libmp3lame',
    '-id3v2_version',
    '4',
    '-metadata',
    'title=Onze',
    into('mpeg25-11k.mp3'),
  );
  ffmpeg('-i', tone, '-ar', '8000', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '16k', into('mpeg25-8k.mp3'));
  // lame without its Info frame (-t), and lame's MP3 with junk before its first frame.
  run('lame', '--quiet', '-t', '-b', '160', tone, into('lame-no-info.mp3'));
  const plain = path.join(work, 'plain.mp3');
  run('lame', '--quiet', '-b', '128', '--tt', 'Lixo Antes', tone, plain);
  writeFileSync(into('junk-first.mp3'), Buffer.concat([randomBytes(3000).map((b) => b & 0x7f), readFileSync(plain)]));
  REFERENCE['junk-first.mp3'] = plain;
  // The same cut inside its last frame.
  const whole = readFileSync(plain);
  writeFileSync(into('cut-last-frame.mp3'), whole.subarray(0, whole.length - 200));
  SERVED.push(
    'mpeg2-id3v23-cover.mp3',
    'mpeg25-11k.mp3',
    'mpeg25-8k.mp3',
    'lame-no-info.mp3',
    'junk-first.mp3',
    'cut-last-frame.mp3',
  );

  // WAV by sox: 8-bit, 24-bit, six channels (WAVE_FORMAT_EXTENSIBLE); by ffmpeg, a LIST chunk before `data`.
  run('sox', tone, '-b', '8', into('sox-8bit.wav'));
  run('sox', tone, '-b', '24', '-r', '96000', into('sox-24bit-96k.wav'));
  run('sox', '-n', '-r', '48000', '-c', '6', '-b', '16', into('sox-6ch.wav'), 'synth', '31', 'sine', '440');
  ffmpeg('-i', tone, '-metadata', 'title=Com Lista', '-metadata', 'artist=FFmpeg', into('ffmpeg-list.wav'));
  SERVED.push('sox-8bit.wav', 'sox-24bit-96k.wav', 'sox-6ch.wav', 'ffmpeg-list.wav');

  // The WAVs of Debian's alsa-utils, as the package ships them.
  if (existsSync(ALSA_SOUNDS))
    for (const name of ['Front_Center.wav', 'Noise.wav']) {
      copyFileSync(path.join(ALSA_SOUNDS, name), into(`alsa-${name}`));
      SERVED.push(`alsa-${name}`);
    }

  // 32-bit float by sox: not integer PCM, one log line.
  run('sox', tone, '-e', 'floating-point', '-b', '32', into('sox-float.wav'));
  REFUSED.push(['sox-float.wav', /not integer PCM/]);
  daemon = await startTestDaemon(library, { log });
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Probe {
  duration: number;
  rate: number;
  channels: number;
  tags: Record<string, string>;
}

function ffprobe(file: string): Probe {
  const out = JSON.parse(
    execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'a',
        '-show_entries',
        'stream=sample_rate,channels,duration:format=duration:format_tags',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    ),
  ) as {
    streams: Array<{ sample_rate: string; channels: number; duration?: string }>;
    format: { duration: string; tags?: Record<string, string> };
  };
  const stream = out.streams[0] as { sample_rate: string; channels: number; duration?: string };
  return {
    duration: Number(stream.duration ?? out.format.duration),
    rate: Number(stream.sample_rate),
    channels: stream.channels,
    tags: Object.fromEntries(Object.entries(out.format.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
}

/** Samples per channel ffmpeg decodes from `bytes` of format `format`. */
function decodedSamples(bytes: Buffer, format: string, channels: number): number {
  const pcm = execFileSync('ffmpeg', ['-loglevel', 'error', '-f', format, '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], {
    input: bytes,
    maxBuffer: 256 * 1024 * 1024,
  });
  return pcm.length / 2 / channels;
}

describe('files made by other encoders', () => {
  it('are listed with what ffprobe reads, or left out with one log line each', async () => {
    const { client } = await TestClient.connect(daemon.port);
    try {
      const songs = records(await client.line('lista'), 'song');
      assert.deepEqual(songs.map((s) => s.get('file')).sort(), [...SERVED].sort());
      for (const file of SERVED) {
        const song = songs.find((s) => s.get('file') === file) as Map<string, string>;
        const probe = ffprobe(REFERENCE[file] ?? into(file));
        const frame = song.get('format') === 'mp3' ? 1152 / probe.rate : 1 / probe.rate;
        const duration = Number(song.get('duration'));
        assert.ok(
          Math.abs(duration - probe.duration) <= frame + 0.001,
          `${file}: ${duration} s, ffprobe ${probe.duration} s`,
        );
        assert.equal(Number(song.get('sample_rate')), probe.rate, `${file}: rate`);
        assert.equal(Number(song.get('channels')), probe.channels, `${file}: channels`);
        for (const key of ['title', 'artist'])
          if (probe.tags[key]) assert.equal(song.get(key), probe.tags[key], `${file}: ${key}`);
      }
      for (const [file, reason] of REFUSED) {
        const lines = log.lines.filter((line) => line.includes(file));
        assert.equal(lines.length, 1, `one log line for ${file}:\n${log.lines.join('\n')}`);
        assert.match(lines[0] as string, reason);
      }
    } finally {
      client.close();
    }
  });

  it('are served in blocks whose hashes hold, which decode to the file (WAV) or to as many samples (MP3)', async () => {
    const { client } = await TestClient.connect(daemon.port);
    try {
      for (const file of SERVED) {
        const download = await client.command('download', file);
        assert.ok(download.ok && download.trackEnd, `${file}: ${download.text}`);
        for (const { header, data } of download.blocks)
          assert.equal(createHash('sha256').update(data).digest('hex'), header.sha256, `${file} block ${header.index}`);
        const joined = Buffer.concat(download.blocks.map((b) => b.data));
        const song = new Map(download.fields);
        const channels = Number(song.get('channels'));
        if (song.get('format') === 'mp3') {
          const fromFile = decodedSamples(readFileSync(REFERENCE[file] ?? into(file)), 'mp3', channels);
          const fromBlocks = decodedSamples(joined, 'mp3', channels);
          // The cut-off frame of the last file is in the file and not in the blocks: one frame less at most.
          const slack = file === 'cut-last-frame.mp3' ? 1152 : 0;
          assert.ok(
            fromFile - fromBlocks >= 0 && fromFile - fromBlocks <= slack,
            `${file}: ${fromBlocks} samples from the blocks, ${fromFile} from the file`,
          );
        } else {
          const bits = Number(song.get('bits'));
          const raw = bits === 8 ? 'u8' : `s${bits}le`;
          const fromFile = execFileSync('ffmpeg', ['-loglevel', 'error', '-i', into(file), '-f', raw, 'pipe:1'], {
            maxBuffer: 256 * 1024 * 1024,
          });
          assert.ok(
            joined.equals(fromFile),
            `${file}: the blocks are the file's samples (${joined.length} bytes, ffmpeg ${fromFile.length})`,
          );
        }
      }
    } finally {
      client.close();
    }
  });
});
