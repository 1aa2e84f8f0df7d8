import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { filePcm } from '../helpers/audio-env.js';
import { soxPcm } from '../helpers/decode.js';
import { until } from '../helpers/log-capture.js';
import { throttleProxy } from '../helpers/throttle-proxy.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const SONG = 'wav/code-16bit.wav';
let fixtures: FixtureLibrary;
let daemon: TestDaemon;
const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-resilience-'));

before(async () => {
  fixtures = makeFixtureLibrary();
  const library = path.join(work, 'library');
  mkdirSync(path.join(library, 'wav'), { recursive: true });
  copyFileSync(path.join(fixtures.root, SONG), path.join(library, SONG));
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function player(port: number, cacheDir: string, audio: string, env: Record<string, string> = {}): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [...testStreamtui(), '--port', String(port), '--name', 'tester', '--cache-dir', cacheDir, '--audio', audio],
    {
      HOME: dir,
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      STREAMTUI_LOG: path.join(dir, 'player.log'),
      ...env,
    },
  );
}

const clockOf = (screen: string): number => {
  const m = /(\d+):(\d\d) \/ 0:33/.exec(screen);
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
};

describe('streamtui when the daemon goes away', () => {
  it('keeps playing what it has, reconnects, fetches the missing block, and plays the song to its end', async () => {
    // 1.5 MB/s: block 0 (5.3 MB) takes ~3.5 s, so the daemon can vanish before block 1 is in.
    const proxy = await throttleProxy(daemon.port, 1_500_000);
    const cacheDir = path.join(work, 'cache-reconnect');
    const tui = player(proxy.port, cacheDir, 'null');
    try {
      await tui.waitFor(/code-16bit/);
      tui.keys('Enter');
      await tui.waitFor(/Playing/);
      await tui.waitFor(/code-16bit\.wav\s+0:33 ◐/, 15_000); // block 0 on disk, block 1 not yet
      await proxy.vanish();
      await tui.waitFor(/offline/);
      const during = clockOf(tui.screen());
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.ok(clockOf(tui.screen()) > during, 'playback goes on with the daemon gone');
      assert.match(tui.screen(), /Playing/);
      await proxy.comeBack();
      await tui.waitFor(/online/, 10_000);
      await tui.waitFor(/code-16bit\.wav\s+0:33 ●/, 15_000);
      await tui.waitFor(/0:3[23] \/ 0:33|Stopped/, 40_000);
      const screen = await tui.waitFor(/Stopped/, 10_000);
      assert.doesNotMatch(screen, /failed/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
      await proxy.close();
    }
  });
});

describe('streamtui when the daemon is killed and stays away', () => {
  it('plays what is on disk, skips what is not, says so, and goes on when the daemon is back', async () => {
    // 1-first: its first block of two on disk only; 2-gone: nothing on disk; 3-ondisk: all on disk (5 s);
    // 4-last: nothing on disk, and nothing after it.
    const library = path.join(work, 'library-away');
    mkdirSync(library);
    for (const [from, to] of [
      [SONG, '1-first.wav'],
      ['lamejs-cbr.mp3', '2-gone.mp3'],
      ['other/same name.wav', '3-ondisk.wav'],
      ['wav/sox-mono-48k-24bit.wav', '4-last.wav'],
    ] as const)
      copyFileSync(path.join(fixtures.root, from), path.join(library, to));
    const own = await startTestDaemon(library);
    const proxy = await throttleProxy(own.port, 1e9);
    const tui = player(proxy.port, path.join(work, 'cache-away'), 'null');
    try {
      await tui.waitFor(/4-last/);
      // The cursor resting on a song fetches its first block, and only that.
      tui.keys('/');
      tui.type('first');
      tui.keys('Enter');
      await tui.waitFor(/1-first\.wav\s+0:33 ◐/);
      tui.keys('/');
      tui.type('ondisk');
      tui.keys('Enter');
      await tui.waitFor(/3-ondisk\.wav\s+0:05 ●/);
      await proxy.vanish();
      await tui.waitFor(/streamd offline/);

      // The first block plays to its end, then the song cannot go on: skipped to what is on disk.
      tui.keys('g', 'Enter');
      await tui.waitFor(/Playing\s+1-first/);
      tui.keys('Right', 'Right', 'Right', 'Right', 'Right');
      await tui.waitFor(/0:2[89] \/ 0:33/, 15_000);
      const skipped = await tui.waitFor(/Playing\s+3-ondisk/, 15_000);
      assert.match(skipped, /1-first\.wav: not on disk, and streamd is offline: skipped to 3-ondisk\.wav/);

      // After it, 4-last is not on disk and nothing follows: stopped, said, waiting for the daemon.
      await tui.waitFor(
        /Stopped[^]*4-last\.wav: not on disk, and streamd is offline: plays on when it is back/,
        20_000,
      );
      await proxy.comeBack();
      await tui.waitFor(/Playing\s+4-last[^]*0:0[1-9] \/ 0:40/, 20_000);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
      await proxy.close();
      await own.stop();
    }
  });
});

describe('streamtui with a full cache disk', () => {
  it('plays the song uncached, all of it, and says why', async (t) => {
    assert.equal(process.getuid?.(), 0, 'this test mounts a 1 MiB tmpfs and needs root (CI runs as root)');
    const cacheDir = path.join(work, 'cache-full');
    mkdirSync(cacheDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', cacheDir]);
    t.after(() => execFileSync('umount', ['-l', cacheDir]));
    const alsa = filePcm();
    const tui = player(daemon.port, cacheDir, 'speaker', { HOME: alsa.home });
    try {
      await tui.waitFor(/code-16bit/);
      tui.keys('Enter');
      const expected = soxPcm(path.join(fixtures.root, SONG));
      await until(
        'the whole song on the device',
        () => (existsSync(alsa.output) && statSync(alsa.output).size >= expected.length ? true : undefined),
        20_000,
      );
      await tui.waitFor(/cache disk is full/);
      assert.ok(readFileSync(alsa.output).equals(expected), 'played byte for byte, uncached');
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
      alsa.cleanup();
    }
  });
});
