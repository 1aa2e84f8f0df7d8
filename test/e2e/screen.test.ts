/**
 * The screen as a person sees it, at the smallest and largest sizes streamtui is made for: the
 * loss chart is drawn at 80x24 while listening to the radio, no blessed tag is cut in half, long
 * names end in an ellipsis, a resize redraws the whole layout, and the panels drawn alone (the
 * clock's second) leave nothing stale of a closed overlay.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-screen-'));
const LONG = `${'A Very Long Name For A Song That Goes On '.repeat(4)}End.mp3`;
let fixtures: FixtureLibrary;
let daemon: TestDaemon;

before(async () => {
  fixtures = makeFixtureLibrary();
  const library = path.join(work, 'library');
  mkdirSync(library);
  copyFileSync(path.join(fixtures.root, 'lamejs-cbr.mp3'), path.join(library, 'lamejs-cbr.mp3'));
  copyFileSync(path.join(fixtures.root, 'lamejs-cbr.mp3'), path.join(library, LONG));
  daemon = await startTestDaemon(library, { radio: { playlist: ['lamejs-cbr.mp3'] } });
});
after(async () => {
  await daemon.stop();
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const resize = (tui: Tmux, cols: number, rows: number): void => {
  execFileSync('tmux', ['-L', tui.socket, 'resize-window', '-x', String(cols), '-y', String(rows)]);
};

/** The network panel's top border at a width: a redraw for that width has happened. */
const networkTop = (cols: number): RegExp => new RegExp(`^┌─ Network ─{${cols - 12}}┐$`, 'm');

/** Checks that hold at any size: every row as wide as the terminal, boxes closed, no tag shown as text. */
function assertWhole(screen: string, cols: number, rows: number): void {
  const lines = screen.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, rows, 'one line per row');
  assert.doesNotMatch(screen, /\{\/?[a-z-]+(\}|…|$)/m, 'no blessed tag shown as text');
  for (const label of ['Library', 'Devices', 'Network'])
    assert.equal(screen.split(label).length - 1, 1, `${label} once`);
  // The boxes' top corners: the library and devices side by side on the first row, the network under them.
  assert.match(lines[0] as string, /^┌.*┐┌.*┐$/);
  for (const line of lines.slice(0, -1)) assert.ok([...line].length <= cols, `a row wider than ${cols}: ${line}`);
}

/** The help's box is whole on an 80x24 screen: its two corners rows, every row of it closed, `key` in it. */
function assertBox(screen: string, key: string): void {
  const lines = screen.replace(/\n$/, '').split('\n');
  const top = lines.findIndex((line) => line.includes('keys (?'));
  const bottom = lines.findIndex((line, i) => i > top && /└─+┘/.test(line));
  assert.ok(top >= 0 && bottom > top, `the help's box, top and bottom:\n${screen}`);
  for (const line of lines) assert.ok([...line].length <= 80, `a row wider than 80: ${line}`);
  const box = lines.slice(top, bottom + 1);
  const left = [...(box[0] as string)].indexOf('┌');
  for (const line of box.slice(1, -1))
    assert.equal([...line][left], '│', `the help's rows closed on the left:\n${screen}`);
  assert.ok(
    box.some((line) => new RegExp(`│ ${key} `).test(line)),
    `${key} in the help:\n${box.join('\n')}`,
  );
}

/** A silent streamtui named `name` on the test daemon, in a terminal of `cols` x `rows`. */
function player(name: string, cols: number, rows: number): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [
      ...testStreamtui(),
      '--port',
      String(daemon.port),
      '--udp-port',
      String(daemon.udpPort),
      '--name',
      name,
      '--cache-dir',
      path.join(dir, 'cache'),
      '--audio',
      'null',
    ],
    { XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
    cols,
    rows,
  );
}

describe('streamtui on screens from 80x24 to 250x70', () => {
  it('draws the chart at 80x24 while listening, cuts long names with …, and redraws on resize', async () => {
    const tui = player('small', 80, 24);
    try {
      const list = await tui.waitFor(/A Very Long Name/);
      assert.match(list, /A Very Long Name[^│\n]*…/, 'the long name ends in an ellipsis');
      assertWhole(list, 80, 24);
      tui.keys('R');
      const small = await tui.waitFor(/-60s[^]*-15s/, 10_000);
      assert.match(small, /[⡀-⣿]{20,}/, 'the chart’s line, at 80x24');
      assert.match(small, /streamd online/, 'the network figures whole');
      assertWhole(small, 80, 24);

      // The radio stopped, its figures and chart go, and the library has its rows back.
      tui.keys('R');
      const stopped = await tui.waitFor(/^(?![^]*-60s)[^]*Stopped/);
      assert.doesNotMatch(stopped, /radio:|loss \d/, 'no radio figures left');
      assertWhole(stopped, 80, 24);
      const libraryRows = stopped.split('\n').findIndex((line) => line.startsWith('└'));
      assert.ok(libraryRows >= 14, `the library panel is ${libraryRows + 1} rows tall again`);
      tui.keys('R');
      await tui.waitFor(/-60s[^]*-15s/, 10_000);

      resize(tui, 250, 70);
      const large = await tui.waitFor(networkTop(250));
      assertWhole(large, 250, 70);
      const axis = /-60s( +)-45s/.exec(large);
      assert.ok(axis && axis[1]!.length > 30, 'the chart spans the wide screen');
      assert.match(large, /lamejs-cbr\.mp3/, 'the library shows its songs');

      resize(tui, 80, 24);
      const back = await tui.waitFor(networkTop(80));
      assertWhole(back, 80, 24);
      assert.match(back, /-60s[^]*-15s/, 'the chart drawn again for the small screen');
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });

  it('shows the whole help at 80x24, scrolled to its last key', async () => {
    const tui = player('help', 80, 24);
    try {
      await tui.waitFor(/lamejs-cbr\.mp3/);
      tui.keys('?');
      const first = await tui.waitFor(/keys \(\? or Esc to close; ↑↓ 1-/);
      assertBox(first, 'Enter');
      assert.doesNotMatch(first, /this help/, 'the last keys below, to scroll to');
      tui.keys('G');
      const last = await tui.waitFor(/this help[^]*quit/);
      assertBox(last, 'q');
      tui.keys('Escape');
      await tui.waitFor(/^(?![^]*keys \()[^]*Library/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });

  it('draws only the panels that changed, and leaves nothing of a closed overlay behind', async () => {
    const tui = player('panels', 100, 50); // tall enough that the help leaves the clock in view
    const clock = (screen: string): string => /(\d:\d\d) \/ 0:41/.exec(screen)?.[1] ?? '';
    try {
      await tui.waitFor(/lamejs-cbr\.mp3/);
      tui.keys('Enter');
      const playing = await tui.waitFor(/Playing[^]*0:0[1-9] \/ 0:41/);
      // The clock moves second by second, drawn alone: the rest of the screen stays whole.
      const moved = await tui.waitFor(new RegExp(`Playing[^]*(?!${clock(playing)})\\d:\\d\\d / 0:41`));
      assertWhole(moved, 100, 50);
      assert.notEqual(clock(moved), clock(playing));
      // The help over the panels, with the clock moving under it; closed, the panels are whole again.
      tui.keys('?');
      const help = await tui.waitFor(/keys \(\? or Esc to close/);
      await tui.waitFor(new RegExp(`(?!${clock(help)})\\d:\\d\\d / 0:41`));
      tui.keys('Escape');
      // A frame reaches tmux in pieces (a pty takes a few KiB at a time): wait for the network
      // panel's row too, drawn again where the help was, before the whole screen is checked.
      const closed = await tui.waitFor(/^(?![^]*keys \(\?)(?=[^]*Network)[^]*Playing/);
      assert.doesNotMatch(closed, /pause \/ resume|loop: off, one, all/, 'no line of the help left on the panels');
      assertWhole(closed, 100, 50);
      // And after the next second, drawn alone again, still nothing of it.
      const later = await tui.waitFor(new RegExp(`(?!${clock(closed)})\\d:\\d\\d / 0:41`));
      assert.doesNotMatch(later, /pause \/ resume|loop: off, one, all|keys \(/);
      assertWhole(later, 100, 50);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
