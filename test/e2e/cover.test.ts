/**
 * The cover of the song playing in the real player in tmux: a picture embedded by ffmpeg, drawn
 * as half blocks whose colours are the picture's (read back with capture-pane's escapes), kept in
 * the cache beside the blocks; a song without a picture shows none and takes no room.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { silentPlayer } from '../helpers/tmux.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-cover-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;

const run = (args: string[]): void => {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
};

before(async () => {
  mkdirSync(library, { recursive: true });
  // The picture: its top half red, its bottom half blue (a PNG by ffmpeg).
  const picture = path.join(work, 'cover.png');
  run([
    '-f',
    'lavfi',
    '-i',
    'color=c=red:s=128x64',
    '-f',
    'lavfi',
    '-i',
    'color=c=blue:s=128x64',
    '-filter_complex',
    'vstack',
    '-frames:v',
    '1',
    picture,
  ]);
  const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=20'];
  run([
    ...tone,
    '-i',
    picture,
    '-map',
    '0',
    '-map',
    '1',
    '-c:a',
    'libmp3lame',
    '-c:v',
    'copy',
    '-id3v2_version',
    '3',
    '-metadata',
    'title=Covered',
    path.join(library, 'a.mp3'),
  ]);
  run([...tone, '-c:a', 'libmp3lame', '-metadata', 'title=Bare', path.join(library, 'b.mp3')]);
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** An xterm palette colour as [r, g, b]: the 16 system colours, the 6x6x6 cube, the greys. */
function paletteRgb(index: number): [number, number, number] {
  const system: Array<[number, number, number]> = [
    [0, 0, 0],
    [205, 0, 0],
    [0, 205, 0],
    [205, 205, 0],
    [0, 0, 238],
    [205, 0, 205],
    [0, 205, 205],
    [229, 229, 229],
    [127, 127, 127],
    [255, 0, 0],
    [0, 255, 0],
    [255, 255, 0],
    [92, 92, 255],
    [255, 0, 255],
    [0, 255, 255],
    [255, 255, 255],
  ];
  if (index < 16) return system[index] as [number, number, number];
  if (index >= 232) return [8 + 10 * (index - 232), 8 + 10 * (index - 232), 8 + 10 * (index - 232)];
  const level = (n: number): number => (n === 0 ? 0 : 55 + 40 * n);
  const cube = index - 16;
  return [level(Math.floor(cube / 36)), level(Math.floor(cube / 6) % 6), level(cube % 6)];
}

/** The colour an SGR sequence sets, foreground or background, as [r, g, b]; undefined for another. */
function sgrColour(params: string, which: 'fg' | 'bg'): [number, number, number] | undefined {
  const parts = params.split(';').map(Number);
  const base = which === 'fg' ? 30 : 40;
  if (parts[0] === base + 8 && parts[1] === 5) return paletteRgb(parts[2] as number);
  if (parts[0] === base + 8 && parts[1] === 2) return [parts[2], parts[3], parts[4]] as [number, number, number];
  const code = parts[0] as number;
  if (code >= base && code <= base + 7) return paletteRgb(code - base);
  if (code >= base + 60 && code <= base + 67) return paletteRgb(code - base - 60 + 8);
  return undefined;
}

/** The cover's rows in a styled capture: per row, the colours its first cell is drawn in. */
function coverRows(styled: string): Array<{ fg: [number, number, number]; bg: [number, number, number] }> {
  const rows: Array<{ fg: [number, number, number]; bg: [number, number, number] }> = [];
  for (const line of styled.split('\n')) {
    const match = /^│((?:\x1b\[[0-9;]*m)+)[▀▄]/.exec(line);
    if (!match) continue;
    const codes = [...(match[1] as string).matchAll(/\x1b\[([0-9;]*)m/g)].map((m) => m[1] as string);
    const fg = codes.map((code) => sgrColour(code, 'fg')).find(Boolean);
    const bg = codes.map((code) => sgrColour(code, 'bg')).find(Boolean);
    if (fg && bg) rows.push({ fg, bg });
  }
  return rows;
}

const red = ([r, g, b]: [number, number, number]): boolean => r > 200 && g < 80 && b < 80;
const blue = ([r, g, b]: [number, number, number]): boolean => b > 200 && r < 100 && g < 100;

describe('the cover of the song playing', () => {
  it('is drawn in half blocks of its colours, kept beside the blocks; a song without one takes no room', async () => {
    const tui = silentPlayer(work, daemon.port, 'viewer', 100, 36);
    const cacheDir = path.join(tui.dir, 'cache');
    try {
      await tui.waitFor(/Bare/);
      tui.keys('Enter');
      await tui.waitFor(/Playing +Covered|Playing {2}\S* ?Covered/);
      await until('the cover drawn', () => coverRows(tui.styledScreen()).length > 0 || undefined);
      const rows = coverRows(tui.styledScreen());
      // 36 rows of terminal: a cover of 6 rows, its top half red, its bottom half blue, both colours of each cell.
      assert.equal(rows.length, 6, JSON.stringify(rows));
      for (const row of rows.slice(0, 3)) assert.ok(red(row.fg) && red(row.bg), `a red row: ${JSON.stringify(row)}`);
      for (const row of rows.slice(3)) assert.ok(blue(row.fg) && blue(row.bg), `a blue row: ${JSON.stringify(row)}`);
      // Kept beside the blocks: the picture as the daemon has it.
      const kept = path.join(cacheDir, 'covers');
      const files = readdirSync(kept);
      assert.ok(
        files.some((file) => readFileSync(path.join(kept, file)).equals(readFileSync(path.join(work, 'cover.png')))),
        `the picture in ${kept}: ${files.join(', ')}`,
      );
      // The next song has no picture: none shown, and now playing is five rows again.
      tui.keys('n');
      await tui.waitFor(/Playing +Bare/);
      await until('the cover gone', () => coverRows(tui.styledScreen()).length === 0 || undefined);
      const screen = tui.screen().split('\n');
      const top = screen.findIndex((line) => line.includes('Now playing'));
      const bottom = screen.findIndex((line, k) => k > top && line.startsWith('└'));
      assert.equal(bottom - top + 1, 5, 'now playing takes its five rows');
      assert.equal(readdirSync(kept).length, 2, 'the song without a picture is remembered as such');
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
