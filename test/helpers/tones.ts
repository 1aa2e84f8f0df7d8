/**
 * Songs that are tones, made at test time with Debian's sox and lame, and what a recording of
 * them says: which tone sounded when, and where the sound stopped.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toneFrequency } from './audio-env.js';

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
}

/** A WAV of a sine at half scale, 44.1 kHz stereo. */
export function sineWav(file: string, hz: number, seconds: number): void {
  run('sox', [
    '-n',
    '-r',
    '44100',
    '-c',
    '2',
    '-b',
    '16',
    file,
    'synth',
    String(seconds),
    'sine',
    String(hz),
    'vol',
    '0.5',
  ]);
}

/**
 * One MP3 per title, made by ffmpeg (lame inside it): a sine of its own pitch, `title.mp3` in
 * lower case, tagged with the title and `artist`.
 */
export function ffmpegSongs(dir: string, titles: readonly string[], seconds: number, artist: string): void {
  for (const [k, title] of titles.entries())
    run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `sine=frequency=${300 + 100 * k}:duration=${seconds}`],
      ...['-c:a', 'libmp3lame', '-b:a', '128k', '-metadata', `title=${title}`, '-metadata', `artist=${artist}`],
      path.join(dir, `${title.toLowerCase()}.mp3`),
    ]);
}

export interface ToneSong {
  file: string;
  title: string;
  hz: number;
}

/** Encodes `wav` with Debian's lame into `root/rel`, tagged. */
export function lameSong(
  wav: string,
  root: string,
  rel: string,
  tags: { title: string; artist: string; album: string; track: number },
): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  run('lame', [
    '--quiet',
    '-b',
    '192',
    '--tt',
    tags.title,
    '--ta',
    tags.artist,
    '--tl',
    tags.album,
    '--tn',
    String(tags.track),
    '--add-id3v2',
    wav,
    path.join(root, rel),
  ]);
}

/**
 * A library for the queue and gapless tests:
 * - `gapless`: one continuous 440 Hz sine of 6 s cut at 3 s into two halves, each encoded on its
 *   own by lame (so each has its own encoder delay and padding), then the same halves as WAV;
 * - `tones`: three 2 s songs at 330, 550 and 770 Hz;
 * - `long`: 10 s at 660 Hz (long enough to pause and resume in).
 */
export function toneLibrary(): {
  root: string;
  gapless: ToneSong[];
  tones: ToneSong[];
  long: ToneSong;
  cleanup(): void;
} {
  const root = mkdtempSync(path.join(os.tmpdir(), 'streamtui-tones-'));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'streamtui-tones-src-'));
  const whole = path.join(scratch, 'whole.wav');
  sineWav(whole, 440, 6);
  const halves = [path.join(scratch, 'first.wav'), path.join(scratch, 'second.wav')];
  run('sox', [whole, halves[0] as string, 'trim', '0', '3']);
  run('sox', [whole, halves[1] as string, 'trim', '3']);
  const gapless: ToneSong[] = [];
  halves.forEach((half, i) => {
    const title = i === 0 ? 'First half' : 'Second half';
    const file = `Sine/Gapless/0${i + 1} ${title}.mp3`;
    lameSong(half, root, file, { title, artist: 'Sine', album: 'Gapless', track: i + 1 });
    gapless.push({ file, title, hz: 440 });
  });
  mkdirSync(path.join(root, 'Sine', 'Gapless WAV'), { recursive: true });
  halves.forEach((half, i) => {
    const file = `Sine/Gapless WAV/wav half ${i + 1}.wav`;
    copyFileSync(half, path.join(root, file));
    gapless.push({ file, title: `wav half ${i + 1}`, hz: 440 });
  });
  const tones: ToneSong[] = [
    { hz: 330, title: 'Three-Thirty' },
    { hz: 550, title: 'Five-Fifty' },
    { hz: 770, title: 'Seven-Seventy' },
  ].map(({ hz, title }, i) => {
    const wav = path.join(scratch, `${hz}.wav`);
    sineWav(wav, hz, 2);
    const file = `Tones/Three/${i + 1} ${title}.mp3`;
    lameSong(wav, root, file, { title, artist: 'Tones', album: 'Three', track: i + 1 });
    return { file, title, hz };
  });
  const longWav = path.join(scratch, 'long.wav');
  sineWav(longWav, 660, 10);
  const long: ToneSong = { file: 'Tones/Long/Long tone.mp3', title: 'Long tone', hz: 660 };
  lameSong(longWav, root, long.file, { title: long.title, artist: 'Tones', album: 'Long', track: 1 });
  rmSync(scratch, { recursive: true, force: true });
  return { root, gapless, tones, long, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** The left channel of 16-bit stereo PCM. */
function left(pcm: Buffer, from: number, to: number): Int16Array {
  const out = new Int16Array(Math.max(0, to - from));
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE((from + i) * 4);
  return out;
}

/** RMS of each 10 ms window of 16-bit stereo 44.1 kHz PCM (left channel). */
export function windowLevels(pcm: Buffer): number[] {
  const frames = Math.floor(pcm.length / 4);
  const levels: number[] = [];
  for (let at = 0; at + 441 <= frames; at += 441) {
    const samples = left(pcm, at, at + 441);
    levels.push(Math.sqrt(samples.reduce((sum, v) => sum + v * v, 0) / samples.length));
  }
  return levels;
}

/**
 * The sounding stretch of a recording (first to last 10 ms window above `floor`), and the silent
 * windows inside it: where a gap between songs would show.
 */
export function soundStretch(pcm: Buffer, floor = 500): { start: number; end: number; silentWindows: number[] } {
  const levels = windowLevels(pcm);
  const start = levels.findIndex((level) => level > floor);
  const end = levels.length - 1 - [...levels].reverse().findIndex((level) => level > floor);
  const silentWindows: number[] = [];
  for (let i = start; i <= end; i++) if ((levels[i] as number) <= floor) silentWindows.push(i);
  return { start: start / 100, end: (end + 1) / 100, silentWindows: silentWindows.map((i) => i / 100) };
}

/**
 * The tones heard in order: the frequency of each sounding 250 ms window, rounded to 10 Hz; runs
 * of at least two windows count (a window astride a change reads between the two tones).
 */
export function toneSequence(pcm: Buffer, floor = 500): number[] {
  const frames = Math.floor(pcm.length / 4);
  const step = 11025;
  const windows: Array<number | undefined> = [];
  for (let at = 0; at + step <= frames; at += step) {
    const samples = left(pcm, at, at + step);
    const level = Math.sqrt(samples.reduce((sum, v) => sum + v * v, 0) / samples.length);
    windows.push(level <= floor ? undefined : Math.round(toneFrequency([samples], 44100) / 10) * 10);
  }
  const heard: number[] = [];
  for (let i = 0; i < windows.length;) {
    let j = i;
    while (j < windows.length && windows[j] === windows[i]) j++;
    const hz = windows[i];
    if (hz !== undefined && j - i >= 2 && heard[heard.length - 1] !== hz) heard.push(hz);
    i = j;
  }
  return heard;
}
