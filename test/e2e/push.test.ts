/**
 * The real player in tmux following the daemon by push: a device that comes, changes its status
 * or goes shows in the devices panel at once (no 2 s poll any more), and a refused password says
 * so on the status line instead of leaving an empty library.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { captureLog } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-push-'));
let fixtures: FixtureLibrary;

before(() => {
  fixtures = makeFixtureLibrary();
});
after(() => {
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function player(port: number, extra: string[] = []): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [
      ...testStreamtui(),
      '--port',
      String(port),
      '--name',
      'watcher',
      '--cache-dir',
      path.join(dir, 'cache'),
      '--audio',
      'null',
      ...extra,
    ],
    {
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      STREAMTUI_LOG: path.join(dir, 'player.log'),
    },
  );
}

/** The devices panel's rows (the right-hand column, under the queue). */
function devicesOf(screen: string): string {
  const lines = screen.split('\n');
  const top = lines.findIndex((line) => line.includes('Devices ('));
  return lines.slice(top, top + 8).join('\n');
}

describe('streamtui follows the daemon by push', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startTestDaemon(fixtures.root);
  });
  after(() => daemon.stop());

  it('shows a device that comes, sets its status and goes, as it happens', async () => {
    const tui = player(daemon.port);
    try {
      await tui.waitFor(/\*watcher/);
      const kitchen = (await TestClient.connect(daemon.port)).client;
      await kitchen.line('hello kitchen');
      // Well under the old 2 s poll: the push and one `lista dispositivos` away.
      await tui.waitFor(/kitchen/, 1000);
      await kitchen.line('att status playing Song.mp3 0:07/3:00');
      const screen = await tui.waitFor(/kitchen\s+▶ Song\.mp3/, 1000);
      assert.match(devicesOf(screen), /Devices \(2\)/);
      kitchen.close();
      await tui.waitFor(/Devices \(1\)/, 1000);
      assert.doesNotMatch(devicesOf(tui.screen()), /kitchen/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});

describe('streamtui and a daemon with a password', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startTestDaemon(fixtures.root, { password: 'right' });
  });
  after(() => daemon.stop());

  for (const [given, says] of [
    [['--password', 'wrong'], /refused the password/],
    [[], /streamd has a password: give it with --password/],
  ] as const) {
    it(`${given.length ? 'a wrong password' : 'no password'}: the status line says so`, async () => {
      const tui = player(daemon.port, [...given]);
      try {
        await tui.waitFor(says, 5000);
        tui.keys('q');
        assert.equal(await tui.exitCode(), 0);
        const log = readFileSync(path.join(path.dirname(tui.exitFile), 'player.log'), 'utf8');
        assert.match(log, says, 'and the log has it');
      } finally {
        tui.kill();
      }
    });
  }

  it('a wrong password is not given again: one refusal a connection, and the panel says so, not online', async () => {
    // A daemon that closes unauthorized connections after 1 s: a player that reconnects would guess again.
    const log = captureLog();
    const strict = await startTestDaemon(fixtures.root, { password: 'right', log, limits: { auth_timeout: 1 } });
    const tui = player(strict.port, ['--password', 'wrong']);
    const refusals = (): number => log.lines.filter((line) => /password refused for/.test(line)).length;
    try {
      await tui.waitFor(/refused the password/, 5000);
      await tui.waitFor(/streamd password refused/, 5000);
      const first = refusals();
      await sleep(4000); // four auth_timeouts
      assert.ok(first <= 3, `${first} refusals: one for each of the player's connections at most`);
      assert.equal(refusals(), first, 'no guess again since');
      assert.doesNotMatch(tui.screen(), /streamd online/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
      await strict.stop();
    }
  });

  it('the right password: the library', async () => {
    const tui = player(daemon.port, ['--password', 'right']);
    try {
      await tui.waitFor(/Library \([1-9]\d*\)/, 5000);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
