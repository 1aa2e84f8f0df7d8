/**
 * FLAC played by the real player. To ALSA's file PCM (every byte it played): a song encoded by the
 * reference `flac` comes out as the recording it was made from, byte for byte, and again from the
 * cache with the daemon gone (its decoder header kept with its blocks). Through a PulseAudio null
 * sink (real time): two songs cut from one sine at a sample that is no frame's edge join with no
 * silent 10 ms.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filePcm, pulseNullSink } from '../helpers/audio-env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { soundStretch } from '../helpers/tones.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-flac-'));
const single = path.join(work, 'single');
const halves = path.join(work, 'halves');
const cacheDir = path.join(work, 'cache');
let recording: Buffer;
let daemon: TestDaemon;

const sox = (...args: string[]): Buffer => execFileSync('sox', args, { maxBuffer: 64 * 1024 * 1024 });

before(async () => {
  mkdirSync(single);
  mkdirSync(halves);
  const wav = path.join(work, 'recording.wav');
  sox('-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '35', 'sine', '200-2000', 'pinknoise', 'vol', '0.4');
  recording = sox(wav, '-t', 'raw', '-');
  execFileSync('flac', ['-s', '-o', path.join(single, 'song.flac'), wav]);
  // 2.0123 s and the rest of 5 s: the join inside a 4096-sample frame.
  const sine = path.join(work, 'sine.wav');
  sox('-n', '-r', '44100', '-c', '2', '-b', '16', sine, 'synth', '5', 'sine', '440', 'vol', '0.5');
  for (const [name, trim] of [
    ['01 first', ['0s', '88742s']],
    ['02 second', ['88742s']],
  ] as const) {
    const part = path.join(work, `${name}.wav`);
    sox(sine, part, 'trim', ...trim);
    execFileSync('flac', ['-s', '-o', path.join(halves, `${name}.flac`), part]);
  }
  daemon = await startTestDaemon(single);
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

function player(port: number, env: Record<string, string>, audio: string, cache = cacheDir): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [...testStreamtui(), '--port', String(port), '--name', 'flac', '--cache-dir', cache, '--audio', audio],
    { ...env, XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
  );
}

async function played(output: string, bytes: number): Promise<Buffer> {
  await until(
    'the sound on the device',
    () => (existsSync(output) && statSync(output).size >= bytes ? true : undefined),
    30_000,
  );
  return readFileSync(output);
}

async function quit(tui: Tmux): Promise<void> {
  tui.keys('q');
  assert.equal(await tui.exitCode(), 0);
}

describe('FLAC end to end', () => {
  it('plays a FLAC song as the recording it was made from, byte for byte', async () => {
    const alsa = filePcm();
    const tui = player(daemon.port, { HOME: alsa.home }, 'speaker');
    try {
      await tui.waitFor(/song\.flac/);
      tui.keys('Enter');
      const pcm = await played(alsa.output, recording.length);
      await tui.waitFor(/Stopped/);
      assert.equal(readFileSync(alsa.output).length, recording.length, 'as many samples as the recording');
      assert.ok(pcm.equals(recording), 'the samples of the recording');
      await quit(tui);
    } finally {
      tui.kill();
      alsa.cleanup();
    }
  });

  it('plays it again from the cache with the daemon gone', async () => {
    await daemon.stop();
    const alsa = filePcm();
    const tui = player(daemon.port, { HOME: alsa.home }, 'speaker');
    try {
      await tui.waitFor(/offline/);
      await tui.waitFor(/song\.flac/);
      tui.keys('Enter');
      assert.ok((await played(alsa.output, recording.length)).subarray(0, recording.length).equals(recording));
      await quit(tui);
    } finally {
      tui.kill();
      alsa.cleanup();
      daemon = await startTestDaemon(single); // for after()
    }
  });

  it('joins two FLAC songs with no silent 10 ms (PulseAudio, real time)', async () => {
    const pulse = await pulseNullSink();
    const joined = await startTestDaemon(halves);
    const tui = player(joined.port, pulse.env, 'pulse', path.join(work, 'cache-halves'));
    try {
      await tui.waitFor(/02 second\.flac/);
      const sound = await pulse.record();
      tui.keys('Enter');
      await tui.waitFor(/Playing\s+02 second/, 15_000);
      await until('the songs played', () => (/Stopped/.test(tui.screen()) ? true : undefined), 15_000);
      const stretch = soundStretch(await sound.stop());
      assert.deepEqual(stretch.silentWindows, [], `no silent window between ${stretch.start} s and ${stretch.end} s`);
      assert.ok(
        Math.abs(stretch.end - stretch.start - 5) < 0.06,
        `5 s of sound, heard ${(stretch.end - stretch.start).toFixed(2)} s`,
      );
      await quit(tui);
    } finally {
      tui.kill();
      await joined.stop();
      pulse.stop();
    }
  });
});
