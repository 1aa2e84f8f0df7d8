/**
 * MPRIS end to end: the real streamtui on a private session bus (Debian's dbus-daemon), driven by
 * the real playerctl, its sound recorded from a PulseAudio null sink.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pulseNullSink, type PulseNullSink } from '../helpers/audio-env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startSessionBus, type SessionBus } from '../helpers/dbus.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { toneLibrary, windowLevels } from '../helpers/tones.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-mpris-'));
let library: ReturnType<typeof toneLibrary>;
let daemon: TestDaemon;
let pulse: PulseNullSink;
let bus: SessionBus;

before(async () => {
  library = toneLibrary();
  daemon = await startTestDaemon(library.root);
  pulse = await pulseNullSink();
  bus = await startSessionBus();
});
after(async () => {
  await daemon.stop();
  pulse.stop();
  bus.stop();
  library.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const playerctl = (...args: string[]): string =>
  execFileSync('playerctl', ['--player=streamtui', ...args], {
    env: { ...process.env, ...bus.env },
    encoding: 'utf8',
    timeout: 10_000,
  }).trim();

/** Seconds of the recording's last `seconds` that were louder than a murmur. */
function loudSeconds(pcm: Buffer, seconds: number): number {
  const levels = windowLevels(pcm).slice(-seconds * 100);
  return levels.filter((level) => level > 500).length / 100;
}

describe('MPRIS (playerctl on a private session bus)', () => {
  it('play-pause silences and brings back the sound, metadata shows the song, next changes it; properties and signals follow', async () => {
    const dir = mkdtempSync(path.join(work, 'tty-'));
    const args = [
      '--port',
      String(daemon.port),
      '--name',
      'media',
      '--cache-dir',
      path.join(dir, 'cache'),
      '--state-dir',
      path.join(dir, 'state'),
      '--audio',
      'pulse',
      '--no-calls',
    ];
    const tui = Tmux.start(
      dir,
      [...testStreamtui(), ...args],
      {
        ...pulse.env,
        ...bus.env,
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        STREAMTUI_LOG: path.join(dir, 'player.log'),
      },
      120,
      36,
    );
    const follow = spawn('playerctl', ['--player=streamtui', '--follow', 'status'], {
      env: { ...process.env, ...bus.env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let statuses = '';
    follow.stdout?.setEncoding('utf8');
    follow.stdout?.on('data', (text: string) => (statuses += text));
    try {
      await tui.waitFor(/Long tone/);
      await until(
        'streamtui on the bus',
        () =>
          execFileSync('playerctl', ['--list-all'], { env: { ...process.env, ...bus.env }, encoding: 'utf8' }).includes(
            'streamtui',
          )
            ? true
            : undefined,
        10_000,
      );
      tui.keys('/');
      tui.type('Long tone');
      await tui.waitFor(/Library: \/Long tone \(1\)/);
      tui.keys('Enter');
      const recording = await pulse.record();
      tui.keys('Enter');
      await tui.waitFor(/Playing\s+Tones - Long tone/);
      await until('PlaybackStatus Playing', () => (playerctl('status') === 'Playing' ? true : undefined), 5000);
      assert.equal(playerctl('metadata', 'title'), 'Long tone');
      assert.equal(playerctl('metadata', 'artist'), 'Tones');
      assert.equal(playerctl('metadata', 'album'), 'Long');
      assert.equal(Math.round(Number(playerctl('metadata', 'mpris:length')) / 1e6), 10);
      await new Promise((resolve) => setTimeout(resolve, 1000));

      playerctl('play-pause');
      await tui.waitFor(/Paused\s+Tones - Long tone/);
      assert.equal(playerctl('status'), 'Paused');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(loudSeconds(readFileSync(recording.file), 1) < 0.1, 'paused: the last second is silent');
      playerctl('play-pause');
      await tui.waitFor(/Playing\s+Tones - Long tone/);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(loudSeconds(readFileSync(recording.file), 1) > 0.9, 'playing again: the last second sounds');
      await recording.stop();

      // Properties that can be set: volume, loop, shuffle, and the position.
      playerctl('volume', '0.4');
      await tui.waitFor(/vol 40%/);
      playerctl('loop', 'Playlist');
      await tui.waitFor(/loop: all/);
      assert.equal(playerctl('loop'), 'Playlist');
      playerctl('shuffle', 'On');
      await tui.waitFor(/loop: all\s+shuffle/);
      playerctl('position', '7');
      await tui.waitFor(/0:0[78] \/ 0:10/);
      assert.ok(Math.abs(Number(playerctl('position')) - 7) < 1.5, 'Position follows the seek');

      playerctl('next');
      await until('another song', () => (playerctl('metadata', 'title') !== 'Long tone' ? true : undefined), 5000);
      await tui.waitFor(/Playing\s+(?!Tones - Long tone)/);
      assert.match(
        statuses,
        /Playing\s+Paused\s+Playing/,
        `PropertiesChanged seen by playerctl --follow: ${JSON.stringify(statuses)}`,
      );
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      follow.kill();
      tui.kill();
    }
  });
});
