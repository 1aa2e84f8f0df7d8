/**
 * ReplayGain heard: songs tagged by Debian's loudgain (FLAC by `flac`, MP3 by `lame`) played by the
 * real player to ALSA's file PCM come out louder or softer than their decoded samples by the
 * tagged gain, within 0.5 dB: the album's gain for two songs of one album played in order
 * (`auto`), the track's for a song on its own (`track`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { filePcm } from '../helpers/audio-env.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { mpg123Pcm } from '../helpers/decode.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-replaygain-'));
after(() => rmSync(work, { recursive: true, force: true }));

const sox = (...args: string[]): Buffer => execFileSync('sox', args, { maxBuffer: 64 * 1024 * 1024 });

/** Noise at `volume`, `seconds` long, as a WAV; and its PCM. */
function noise(name: string, volume: number, seconds: number): { wav: string; pcm: Buffer } {
  const wav = path.join(work, `${name}.wav`);
  sox('-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', String(seconds), 'pinknoise', 'vol', String(volume));
  return { wav, pcm: sox(wav, '-t', 'raw', '-') };
}

/** The level of 16-bit PCM, dB relative to full scale (RMS). */
function levelDb(pcm: Buffer): number {
  let sum = 0;
  for (let at = 0; at + 1 < pcm.length; at += 2) sum += pcm.readInt16LE(at) ** 2;
  return 10 * Math.log10(sum / (pcm.length / 2) / 32768 ** 2);
}

/** The REPLAYGAIN_* tags loudgain wrote, as ffprobe reads them. */
function tagged(file: string): Record<string, number> {
  const out = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', file], { encoding: 'utf8' }),
  ) as { format: { tags: Record<string, string> } };
  return Object.fromEntries(
    Object.entries(out.format.tags)
      .filter(([key]) => /^replaygain_(track|album)_gain$/i.test(key))
      .map(([key, value]) => [key.toLowerCase(), Number.parseFloat(value)]),
  );
}

async function play(library: string, mode: string, first: RegExp, bytes: number): Promise<Buffer> {
  const daemon = await startTestDaemon(library);
  const alsa = filePcm();
  const dir = mkdtempSync(path.join(work, 'tty-'));
  const tui = Tmux.start(
    dir,
    [
      ...testStreamtui(),
      '--port',
      String(daemon.port),
      '--name',
      'rg',
      '--cache-dir',
      path.join(dir, 'cache'),
      '--audio',
      'speaker',
      '--replaygain',
      mode,
    ],
    { HOME: alsa.home, XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
  );
  try {
    await tui.waitFor(first);
    tui.keys('Enter');
    await until(
      'the songs on the device',
      () => (existsSync(alsa.output) && statSync(alsa.output).size >= bytes ? true : undefined),
      30_000,
    );
    tui.keys('q');
    assert.equal(await tui.exitCode(), 0);
    return readFileSync(alsa.output).subarray(0, bytes);
  } finally {
    tui.kill();
    alsa.cleanup();
    await daemon.stop();
  }
}

describe('ReplayGain, heard', () => {
  it("auto: two songs of one album, played in order, each take the album's gain", async () => {
    const library = path.join(work, 'album');
    mkdirSync(library);
    const soft = noise('soft', 0.45, 5);
    const loud = noise('loud', 0.9, 5);
    const files = [path.join(library, '01 soft.flac'), path.join(library, '02 loud.flac')];
    execFileSync('flac', ['-s', '-o', files[0] as string, soft.wav]);
    execFileSync('flac', ['-s', '-o', files[1] as string, loud.wav]);
    execFileSync('metaflac', ['--set-tag=ALBUM=Two Levels', '--set-tag=ARTIST=Noise', ...files]);
    execFileSync('loudgain', ['-q', '-a', '-s', 'e', ...files]);
    const album = tagged(files[0] as string)['replaygain_album_gain'] as number;
    const track = tagged(files[0] as string)['replaygain_track_gain'] as number;
    assert.ok(Math.abs(album - track) > 1.5, `the album's gain (${album}) and the first track's (${track}) tell apart`);
    assert.ok(Math.abs(album) > 1.5, `an album gain worth hearing (${album} dB)`);
    const pcm = await play(library, 'auto', /01 soft\.flac/, soft.pcm.length + loud.pcm.length);
    const heard = [pcm.subarray(0, soft.pcm.length), pcm.subarray(soft.pcm.length)];
    for (const [i, source] of [soft.pcm, loud.pcm].entries()) {
      const change = levelDb(heard[i] as Buffer) - levelDb(source);
      assert.ok(
        Math.abs(change - album) <= 0.5,
        `song ${i + 1}: ${change.toFixed(2)} dB, the album's gain ${album} dB`,
      );
    }
  });

  it("track: an MP3 by lame, its gain in ID3v2 TXXX frames, takes the track's gain", async () => {
    const library = path.join(work, 'single');
    mkdirSync(library);
    const source = noise('single', 0.2, 6);
    const mp3 = path.join(library, 'single.mp3');
    execFileSync('lame', ['--quiet', '-b', '192', source.wav, mp3]);
    execFileSync('loudgain', ['-q', '-s', 'e', '-I', '3', mp3]);
    const gain = tagged(mp3)['replaygain_track_gain'] as number;
    const decoded = mpg123Pcm(mp3, true);
    const pcm = await play(library, 'track', /single\.mp3/, decoded.length);
    const change = levelDb(pcm) - levelDb(decoded);
    assert.ok(gain > 3, `a gain worth hearing (${gain} dB)`);
    assert.ok(Math.abs(change - gain) <= 0.5, `${change.toFixed(2)} dB, the track's gain ${gain} dB`);
  });
});
