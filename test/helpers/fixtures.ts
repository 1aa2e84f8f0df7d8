/**
 * Test audio, generated at test time: MP3 from two encoders (lamejs and Debian's lame), WAV
 * written by code and by sox, in the shapes that break naive code (VBR with a Xing header, mono
 * MPEG-2 at 22.05 kHz, 48 kHz, ID3v2 and ID3v1 tags, cut-off files, junk), plus broken and hostile
 * entries (empty, not audio, symlinks out, a FIFO, bad names).
 *
 * Files are made once per machine into a cache folder (atomic rename), then copied per test.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeMp3, encodeWav } from '../../daemon/demo/encode.js';
import { id3v2Tag } from '../../daemon/demo/id3-writer.js';
import { synthesize, type SongSpec } from '../../daemon/demo/synth.js';

const FIXTURE_VERSION = 4;
const spec = (title: string, seconds: number, seed: number): SongSpec => ({
  title,
  seconds,
  bpm: 110,
  root: 62,
  minor: seed % 2 === 0,
  seed,
});

export interface FixtureSong {
  file: string;
  format: 'mp3' | 'wav';
  sampleRate: number;
  channels: number;
  title?: string;
  artist?: string;
  /** Expected whole 30 s blocks. */
  blocks: number;
}

/** The servable songs of the fixture library, by path relative to its root. */
export const FIXTURE_SONGS: readonly FixtureSong[] = [
  { file: 'lamejs-cbr.mp3', format: 'mp3', sampleRate: 44100, channels: 2, blocks: 2 },
  {
    file: 'lame/vbr-xing.mp3',
    format: 'mp3',
    sampleRate: 44100,
    channels: 2,
    blocks: 3,
    title: 'Variable',
    artist: 'Second Encoder',
  },
  { file: 'lame/mono-22k.mp3', format: 'mp3', sampleRate: 22050, channels: 1, blocks: 2 },
  { file: 'lame/rate-48k.mp3', format: 'mp3', sampleRate: 48000, channels: 2, blocks: 2 },
  {
    file: 'Ártist/Ålbum/01 Canção – tagged.mp3',
    format: 'mp3',
    sampleRate: 44100,
    channels: 2,
    blocks: 2,
    title: 'Canção',
    artist: 'Ártist',
  },
  { file: 'cut-off.mp3', format: 'mp3', sampleRate: 44100, channels: 2, blocks: 2 },
  { file: 'wav/code-16bit.wav', format: 'wav', sampleRate: 44100, channels: 2, blocks: 2 },
  { file: 'wav/sox-mono-48k-24bit.wav', format: 'wav', sampleRate: 48000, channels: 1, blocks: 2 },
  { file: 'wav/cut-off.wav', format: 'wav', sampleRate: 22050, channels: 2, blocks: 2 },
  { file: 'Same Name.mp3', format: 'mp3', sampleRate: 32000, channels: 2, blocks: 1 },
  { file: 'other/same name.wav', format: 'wav', sampleRate: 8000, channels: 1, blocks: 1 },
];

/** Files in the library that must not be served. */
export const BROKEN_FILES = ['empty.mp3', 'not-audio.mp3', 'only-tag.mp3', 'wav/not-riff.wav', 'wav/float.wav'];

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function writeAll(root: string): void {
  const put = (rel: string, bytes: Buffer | string): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), bytes);
  };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'streamd-scratch-'));
  try {
    const pcm44 = synthesize(spec('a', 41, 1), 44100, 2);
    put('lamejs-cbr.mp3', encodeMp3(pcm44, 128));

    const source = path.join(scratch, 'source.wav');
    writeFileSync(source, encodeWav(synthesize(spec('b', 75, 2), 44100, 2)));
    const lameOut = (rel: string, args: string[]): void => {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      run('lame', ['--quiet', ...args, source, path.join(root, rel)]);
    };
    lameOut('lame/vbr-xing.mp3', ['-V', '4', '--tt', 'Variable', '--ta', 'Second Encoder', '--add-id3v2']);
    const short = path.join(scratch, 'short.wav');
    writeFileSync(short, encodeWav(synthesize(spec('c', 44, 3), 44100, 2)));
    run('lame', ['--quiet', '-m', 'm', '--resample', '22.05', '-b', '48', short, path.join(root, 'lame/mono-22k.mp3')]);
    run('lame', ['--quiet', '--resample', '48', '-b', '192', short, path.join(root, 'lame/rate-48k.mp3')]);
    const tagged = 'Ártist/Ålbum/01 Canção – tagged.mp3';
    mkdirSync(path.dirname(path.join(root, tagged)), { recursive: true });
    run('lame', [
      '--quiet',
      '-b',
      '160',
      '--tt',
      'Canção',
      '--ta',
      'Ártist',
      '--tl',
      'Ålbum',
      '--tn',
      '1/9',
      '--ty',
      '2019',
      '--add-id3v2',
      '--id3v2-utf16',
      short,
      path.join(root, tagged),
    ]);

    // Cut mid-frame: the catalog must serve only the complete frames.
    const whole = readFileSync(path.join(root, tagged));
    put('cut-off.mp3', whole.subarray(0, whole.length - 300));

    put('wav/code-16bit.wav', encodeWav(synthesize(spec('d', 33, 4), 44100, 2)));
    run('sox', [
      '-n',
      '-r',
      '48000',
      '-c',
      '1',
      '-b',
      '24',
      path.join(root, 'wav/sox-mono-48k-24bit.wav'),
      'synth',
      '40',
      'sine',
      '300-900',
    ]);
    const wav22 = encodeWav(synthesize(spec('e', 45, 5), 22050, 2));
    put('wav/cut-off.wav', wav22.subarray(0, wav22.length - 1001));

    // Two songs with the same name but for case and extension: looked up by name, ambiguous.
    // (At 96 kbps LAME picks 32 kHz on its own: one more sample rate for the tests.)
    put(
      'Same Name.mp3',
      Buffer.concat([id3v2Tag({ title: 'Same 1' }), encodeMp3(synthesize(spec('f', 6, 6), 44100, 2), 96)]),
    );
    put('other/same name.wav', encodeWav(synthesize(spec('g', 5, 7), 8000, 1)));

    put('empty.mp3', Buffer.alloc(0));
    put('not-audio.mp3', 'this is not an mp3 file\n'.repeat(500));
    put('only-tag.mp3', id3v2Tag({ title: 'no audio after me' }));
    put('wav/not-riff.wav', 'RIFX....WAVEfmt ');
    run('sox', [
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-e',
      'floating-point',
      '-b',
      '32',
      path.join(root, 'wav/float.wav'),
      'synth',
      '2',
      'sine',
      '440',
    ]);
    put('notes.txt', 'not music');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function cacheDir(): string {
  const dir = path.join(os.tmpdir(), `streamd-fixtures-v${FIXTURE_VERSION}`);
  if (existsSync(path.join(dir, '.complete'))) return dir;
  const building = mkdtempSync(path.join(os.tmpdir(), 'streamd-fixtures-building-'));
  writeAll(building);
  writeFileSync(path.join(building, '.complete'), '');
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another test process won the race
  }
  return dir;
}

export interface FixtureLibrary {
  /** The library root (a fresh copy, free to change). */
  root: string;
  /** A folder outside the root, which the hostile symlinks point into. */
  outside: string;
  cleanup(): void;
}

/**
 * A fresh copy of the fixture library plus hostile entries: symlinks leading out, a symlink loop,
 * a FIFO, and names with control characters or invalid UTF-8.
 */
export function makeFixtureLibrary(): FixtureLibrary {
  const base = mkdtempSync(path.join(os.tmpdir(), 'streamd-lib-'));
  const root = path.join(base, 'music');
  const outside = path.join(base, 'outside');
  cpSync(cacheDir(), root, { recursive: true });
  rmSync(path.join(root, '.complete'));
  mkdirSync(outside);
  cpSync(path.join(root, 'lamejs-cbr.mp3'), path.join(outside, 'secret.mp3'));
  symlinkSync(path.join(outside, 'secret.mp3'), path.join(root, 'link-out.mp3'));
  symlinkSync(outside, path.join(root, 'dir-out'));
  symlinkSync('/etc/passwd', path.join(root, 'passwd.mp3'));
  symlinkSync(root, path.join(root, 'loop'));
  symlinkSync('lamejs-cbr.mp3', path.join(root, 'link-in.mp3'));
  run('mkfifo', [path.join(root, 'fifo.mp3')]);
  writeFileSync(path.join(root, 'control\x01char.mp3'), readFileSync(path.join(root, 'lamejs-cbr.mp3')));
  writeFileSync(Buffer.concat([Buffer.from(root + '/bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.mp3')]), 'x');
  return { root, outside, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/**
 * A library of `count` files that are hard links of one 60 s MP3 (Debian's lame), 500 to a folder,
 * in `dir`/music: a long scan (each path is analysed) for little disk and little making.
 */
export function hardLinkLibrary(dir: string, count: number): string {
  const wav = path.join(dir, 'song.wav');
  writeFileSync(
    wav,
    encodeWav(synthesize({ title: 'long', seconds: 60, bpm: 120, root: 60, minor: false, seed: 3 }, 44100, 2)),
  );
  execFileSync('lame', ['--quiet', '-b', '128', wav, path.join(dir, 'song.mp3')]);
  const music = path.join(dir, 'music');
  for (let i = 0; i < count; i++) {
    const folder = path.join(music, `folder ${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(folder, { recursive: true });
    linkSync(path.join(dir, 'song.mp3'), path.join(folder, `song ${i}.mp3`));
  }
  return music;
}

/**
 * One of ffmpeg's test pictures (`source`: testsrc, smptebars, mandelbrot...), `width` x `height`,
 * in `file`, whose extension gives its type.
 */
export function testPicture(width: number, height: number, file: string, source = 'testsrc'): void {
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `${source}=s=${width}x${height}`,
    '-frames:v',
    '1',
    '-y',
    file,
  ]);
}
