/**
 * The cover in terminals that draw pictures, on a private X server, running the real player: the
 * real kitty, which says it has its graphics protocol when the player asks, and the real xterm as
 * a VT340, which says it has sixels (and its cell size). In each the cover is drawn as a picture
 * at the terminal's own pixels, read back from the screen: vertical stripes 4 pixels wide, red
 * and blue, which half blocks (two colours a cell, split top and bottom) cannot draw. tmux, which
 * does not draw pictures, gets half blocks (cover.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { records, TestClient } from '../helpers/client.js';
import { testStreamtui } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { screenshot, startXvfb, type Screenshot, type XServer } from '../helpers/x11.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-kitty-'));
const library = path.join(work, 'library');
const socket = path.join(work, 'kitty.sock');
let daemon: TestDaemon;
let x: XServer;

const ffmpeg = (args: string[]): void => {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
};

before(async () => {
  mkdirSync(library, { recursive: true });
  const picture = path.join(work, 'stripes.png');
  const stripes = "geq=r='if(lt(mod(X,8),4),255,0)':g=0:b='if(lt(mod(X,8),4),0,255)'";
  ffmpeg(['-f', 'lavfi', '-i', `nullsrc=s=128x128,${stripes}`, '-frames:v', '1', picture]);
  ffmpeg([
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=30', '-i', picture, '-map', '0', '-map', '1'],
    ...['-c:a', 'libmp3lame', '-c:v', 'copy', '-id3v2_version', '3', '-metadata', 'title=Striped'],
    path.join(library, 'a.mp3'),
  ]);
  daemon = await startTestDaemon(library);
  x = await startXvfb(1024, 1000);
});
after(async () => {
  await daemon.stop();
  x.stop();
  rmSync(work, { recursive: true, force: true });
});

/** kitty's remote control: the text on its screen, keys typed into it. */
const kittyAt = (...args: string[]): string =>
  execFileSync('kitty', ['@', '--to', `unix:${socket}`, ...args], { encoding: 'utf8' });

/** Rows of the screen with at least this many changes of colour are the stripes'. */
const STRIPED = 16;

/**
 * The stripes on the screen: the most red-to-blue and blue-to-red changes between neighbouring
 * pixels in one row, and the first and last rows with STRIPED of them or more (none: -1).
 */
function stripes(shot: Screenshot): { changes: number; top: number; bottom: number } {
  const kind = ([r, g, b]: [number, number, number]): 'red' | 'blue' | undefined =>
    r > 200 && g < 60 && b < 60 ? 'red' : b > 200 && r < 60 && g < 60 ? 'blue' : undefined;
  const seen = { changes: 0, top: -1, bottom: -1 };
  for (let y = 0; y < shot.height; y += 2) {
    let changes = 0;
    let last: 'red' | 'blue' | undefined;
    for (let x = 0; x < shot.width; x++) {
      const now = kind(shot.rgb(x, y));
      if (now && last && now !== last) changes++;
      if (now) last = now;
    }
    seen.changes = Math.max(seen.changes, changes);
    if (changes >= STRIPED) {
      if (seen.top < 0) seen.top = y;
      seen.bottom = y;
    }
  }
  return seen;
}
const stripesSeen = (shot: Screenshot): number => stripes(shot).changes;

/** Waits for the striped cover on the screen; the player's log in the error when it does not come. */
async function stripedCover(log: string): Promise<number> {
  return until(
    'the striped cover drawn',
    () => {
      const seen = stripesSeen(screenshot(x.display));
      return seen >= STRIPED ? seen : undefined;
    },
    20_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; the player's log:\n${readFileSync(log, 'utf8').slice(-2000)}`);
  });
}

describe('the cover in terminals that draw pictures', () => {
  it(
    "kitty: drawn with its graphics protocol, at the terminal's pixels, and placed again when the window grows",
    { timeout: 90_000 },
    async () => {
      const log = path.join(work, 'kitty-player.log');
      const flags = ['--port', String(daemon.port), '--name', 'kitty', '--audio', 'null', '--no-calls', '--no-mpris'];
      const dirs = ['--cache-dir', path.join(work, 'kitty-cache'), '--state-dir', path.join(work, 'kitty-state')];
      const kitty: ChildProcess = spawn(
        'kitty',
        [
          ...[
            '--config',
            'NONE',
            '-o',
            'font_size=10',
            '-o',
            'allow_remote_control=yes',
            '--listen-on',
            `unix:${socket}`,
          ],
          ...['-o', 'remember_window_size=no', '-o', 'initial_window_width=900', '-o', 'initial_window_height=700'],
          ...testStreamtui(),
          ...flags,
          ...dirs,
        ],
        {
          env: {
            ...process.env,
            DISPLAY: x.display,
            XDG_CONFIG_HOME: path.join(work, 'kitty-config'),
            STREAMTUI_LOG: log,
          },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<number | null>((resolve) => kitty.once('exit', resolve));
      try {
        const text = (): string | undefined => {
          try {
            return kittyAt('get-text');
          } catch {
            return undefined; // kitty not listening yet
          }
        };
        await until('the library on screen', () => (/Library \(1\)/.test(text() ?? '') ? true : undefined), 30_000);
        kittyAt('send-text', '\r');
        await until('the song playing', () => (/Playing\s+Striped/.test(text() ?? '') ? true : undefined), 15_000);
        const changes = await stripedCover(log);
        assert.ok(changes >= STRIPED, `stripes 4 pixels wide: ${changes} changes of colour in a row`);
        // A taller window: the now-playing area goes down, and the cover with it; nothing stays behind.
        const before = stripes(screenshot(x.display));
        kittyAt('resize-os-window', '--unit', 'pixels', '--width', '900', '--height', '950');
        const after = await until(
          'the cover placed again lower down',
          () => {
            const seen = stripes(screenshot(x.display));
            return seen.top > before.bottom ? seen : undefined;
          },
          15_000,
        );
        assert.ok(after.changes >= STRIPED, `the stripes again: ${after.changes} changes of colour in a row`);
        kittyAt('send-text', 'q');
        assert.equal(await exited, 0);
      } finally {
        kitty.kill();
      }
    },
  );

  it("xterm as a VT340: drawn in sixels, at the terminal's pixels", { timeout: 90_000 }, async () => {
    const log = path.join(work, 'xterm-player.log');
    const flags = ['--port', String(daemon.port), '--name', 'xterm', '--audio', 'null', '--no-calls', '--no-mpris'];
    const dirs = ['--cache-dir', path.join(work, 'xterm-cache'), '--state-dir', path.join(work, 'xterm-state')];
    // Sixels, a colour register for each of 256 colours, and its cell size told (window ops allowed).
    const resources = ['decTerminalID: vt340', 'numColorRegisters: 256', 'allowWindowOps: true'];
    const xterm = spawn(
      'xterm',
      [
        ...[
          '-ti',
          'vt340',
          ...resources.flatMap((resource) => ['-xrm', `XTerm*${resource}`]),
          '-geometry',
          '120x40+0+0',
        ],
        ...['-e', ...testStreamtui(), ...flags, ...dirs],
      ],
      {
        env: {
          ...process.env,
          DISPLAY: x.display,
          XDG_CONFIG_HOME: path.join(work, 'xterm-config'),
          STREAMTUI_LOG: log,
        },
        stdio: 'ignore',
      },
    );
    const { client } = await TestClient.connect(daemon.port);
    try {
      assert.equal((await client.command('hello', 'driver')).ok, true);
      await until(
        'the player in xterm listed',
        async () =>
          records(await client.command('lista dispositivos'), 'device').some(
            (record) => record.get('device') === 'xterm' && record.get('control') === 'yes',
          ) || undefined,
        30_000,
      );
      assert.equal(stripesSeen(screenshot(x.display)), 0, 'no stripes on the screen before the song');
      // xterm takes no keys from outside: the player is asked to play through the daemon.
      const asked = await client.command('remote', 'xterm', 'play', 'a.mp3');
      assert.equal(asked.ok, true, asked.text);
      const changes = await stripedCover(log);
      assert.ok(changes >= STRIPED, `stripes 4 pixels wide: ${changes} changes of colour in a row`);
    } finally {
      client.close();
      xterm.kill();
    }
  });
});
