/**
 * Quitting and starting again: the song and where in it, the loop mode, the volume and the tree
 * view come back (the queue already did), and Space plays on from there, as cmus resumes.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-session-'));
const stateDir = path.join(work, 'state');
let fixtures: FixtureLibrary;
let daemon: TestDaemon;

before(async () => {
  fixtures = makeFixtureLibrary();
  const library = path.join(work, 'library');
  mkdirSync(library);
  copyFileSync(path.join(fixtures.root, 'wav/code-16bit.wav'), path.join(library, 'long.wav'));
  copyFileSync(path.join(fixtures.root, 'lamejs-cbr.mp3'), path.join(library, 'other.mp3'));
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function player(keys?: object): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  if (keys) {
    mkdirSync(path.join(dir, 'config', 'streamtui'), { recursive: true });
    writeFileSync(path.join(dir, 'config', 'streamtui', 'keys.json'), JSON.stringify(keys));
  }
  return Tmux.start(
    dir,
    [
      ...testStreamtui(),
      ...['--port', String(daemon.port), '--name', 'desk', '--cache-dir', path.join(dir, 'cache')],
      ...['--state-dir', stateDir, '--audio', 'null', '--no-calls'],
    ],
    { XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
  );
}

describe('the player across a quit and a start', () => {
  it('comes back at the song and the moment it was at, its loop, volume and view; Space plays on', async () => {
    const first = player();
    try {
      await first.waitFor(/long\.wav/);
      first.keys('Enter');
      await first.waitFor(/Playing\s+long\.wav/);
      first.keys('Right', 'Right');
      await first.waitFor(/0:1[0-9] \/ 0:33/);
      first.keys('l', 'l', '-', '-', 'v');
      await first.waitFor(/loop: all[^]*vol 90%/);
      await first.waitFor(/by artist/);
      first.keys('q');
      assert.equal(await first.exitCode(), 0);
    } finally {
      first.kill();
    }
    const second = player();
    try {
      // The song comes back from the queue file before the library arrives from the daemon.
      const back = await second.waitFor(/Library \(2, by artist\)[^]*Stopped\s+long\.wav[^]*0:1[0-9] \/ 0:33/);
      assert.match(back, /loop: all {2}vol 90%/);
      const at = Number(/0:(1[0-9]) \/ 0:33/.exec(back)?.[1]);
      second.keys('Space');
      const playing = await second.waitFor(/Playing\s+long\.wav/);
      const from = Number(/0:(\d\d) \/ 0:33/.exec(playing)?.[1]);
      assert.ok(from >= at && from <= at + 2, `played on from 0:${at}, not from the start: 0:${from}`);
      second.keys('q');
      assert.equal(await second.exitCode(), 0);
    } finally {
      second.kill();
    }
  });

  it('takes its keys from keys.json, says what it cannot take, and ? shows the keys in force', async () => {
    const tui = player({ x: 'stop', s: 'none', f5: 'toggle-pause', y: 'fly' });
    try {
      await tui.waitFor(/keys\.json: 'y': no command 'fly' \(left out\)/);
      tui.keys('Space'); // the song the first test left, kept
      await tui.waitFor(/Playing\s+long\.wav/);
      tui.keys('s');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.match(tui.screen(), /Playing\s+long\.wav/, 's is unbound');
      tui.keys('F5');
      await tui.waitFor(/Paused\s+long\.wav/);
      tui.keys('x');
      await tui.waitFor(/Stopped\s+long\.wav/);
      tui.keys('?');
      const help = await tui.waitFor(/keys \(\? or Esc to close/);
      assert.match(help, /│ x +stop/);
      assert.match(help, /│ Space, p, F5 +pause \/ resume/);
      assert.doesNotMatch(help, /│ s +stop/);
      tui.keys('Escape');
      await tui.waitFor(/^(?![^]*keys \(\?)[^]*Library/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
