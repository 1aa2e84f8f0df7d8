/**
 * A queued song the daemon no longer has: Enter on it in the queue says so once and goes on to the
 * next entry, as MPD skips a song it cannot play. Before, the player asked again and again (17,379
 * log lines in 3 s) and showed Playing 0:00 for ever.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-refused-'));
const library = path.join(work, 'library');
let fixtures: FixtureLibrary;
let daemon: TestDaemon;

before(async () => {
  fixtures = makeFixtureLibrary();
  mkdirSync(library);
  for (const name of ['a-gone.mp3', 'b-here.mp3'])
    copyFileSync(path.join(fixtures.root, 'lamejs-cbr.mp3'), path.join(library, name));
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('a queued song the daemon no longer has', () => {
  it('is said once and skipped to the next entry, which plays', async () => {
    const dir = mkdtempSync(path.join(work, 'tty-'));
    const log = path.join(dir, 'player.log');
    const tui = Tmux.start(
      dir,
      [
        ...testStreamtui(),
        '--port',
        String(daemon.port),
        '--name',
        'q',
        '--audio',
        'null',
        '--no-calls',
        '--cache-dir',
        path.join(dir, 'cache'),
      ],
      { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: log },
      120,
      30,
    );
    try {
      await tui.waitFor(/a-gone[\s\S]*b-here/);
      tui.keys('a'); // a-gone to the queue
      tui.keys('j');
      tui.keys('a'); // b-here after it
      await tui.waitFor(/Queue \(2/);
      rmSync(path.join(library, 'a-gone.mp3')); // gone from the disk behind the daemon's back
      tui.keys('Tab');
      tui.keys('g');
      tui.keys('Enter');
      const screen = await tui.waitFor(/Playing\s+.*b-here/);
      assert.match(screen, /a-gone.*skipped/);
      const refusals = (): string[] =>
        (existsSync(log) ? readFileSync(log, 'utf8').split('\n') : []).filter(
          (line) => line.includes('a-gone') && /failed|refused/.test(line),
        );
      await sleep(1000);
      const soon = refusals();
      await sleep(2000);
      assert.ok(soon.length <= 3, `${soon.length} refusals logged:\n${soon.slice(0, 10).join('\n')}`);
      assert.deepEqual(refusals(), soon, 'and no more since: not asked again and again');
      assert.match(tui.screen(), /Playing\s+.*b-here/, 'still playing the next song');
    } finally {
      tui.kill();
    }
  });
});
