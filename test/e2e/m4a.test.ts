/**
 * M4A played by the real player through ffmpeg. Through a PulseAudio null sink (real time): two
 * songs cut from one sine at a sample that is no frame's edge, each encoded apart by ffmpeg's AAC
 * encoder, join with no silent 10 ms and last the 5 s they were cut from: the encoder delay (the
 * edit list) and the padding after the last sample are left out. On a machine without ffmpeg
 * (PATH without it), M4A songs are listed, marked as not playable, and Enter on one says why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pulseNullSink } from '../helpers/audio-env.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { soundStretch } from '../helpers/tones.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-m4a-'));
const halves = path.join(work, 'halves');

before(() => {
  mkdirSync(halves);
  const sine = path.join(work, 'sine.wav');
  execFileSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', sine, 'synth', '5', 'sine', '440', 'vol', '0.5']);
  for (const [name, trim] of [
    ['01 first', ['0s', '88742s']],
    ['02 second', ['88742s']],
  ] as const) {
    const part = path.join(work, `${name}.wav`);
    execFileSync('sox', [sine, part, 'trim', ...trim]);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', part, '-c:a', 'aac', path.join(halves, `${name}.m4a`)]);
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

/** The player in tmux against `port`, with `env` over its own. */
function player(port: number, audio: string, env: Record<string, string>): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [
      ...[...testStreamtui(), '--port', String(port), '--name', 'm4a'],
      ...['--cache-dir', path.join(dir, 'cache'), '--audio', audio],
    ],
    { XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log'), ...env },
  );
}

describe('M4A end to end', () => {
  it('joins two AAC songs with no silent 10 ms, 5 s in all (PulseAudio, real time)', async () => {
    const pulse = await pulseNullSink();
    const daemon = await startTestDaemon(halves);
    const tui = player(daemon.port, 'pulse', pulse.env);
    try {
      await tui.waitFor(/02 second/);
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
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
      await daemon.stop();
      pulse.stop();
    }
  });

  it('without ffmpeg lists M4A songs as not playable, and Enter on one says why', async () => {
    const daemon = await startTestDaemon(halves);
    // A PATH with no ffmpeg in it: the player itself is started by its full path.
    const tui = player(daemon.port, 'null', { PATH: path.join(work, 'no-tools') });
    try {
      const screen = await tui.waitFor(/01 first/);
      assert.match(screen, /01 first.*✗/, 'marked as not playable');
      tui.keys('Enter');
      await tui.waitFor(/ffmpeg, which is not installed/, 10_000);
      assert.doesNotMatch(tui.screen(), /Playing/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
      await daemon.stop();
    }
  });
});
