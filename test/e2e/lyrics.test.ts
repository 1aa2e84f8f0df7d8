/**
 * Lyrics in the real player in tmux: `L` over a song with a `.lrc` beside it marks the line the
 * `.lrc` puts at the position playing, and a seek moves the mark at once; plain lyrics scroll by
 * hand. Songs by ffmpeg, lyrics files written here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { silentPlayer } from '../helpers/tmux.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-lyrics-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;

/** When each line starts (s), as the .lrc says. */
const SYNCED: Array<[number, string]> = [
  [1, 'Line one'],
  [3, 'Line two'],
  [8, 'Line three'],
  [13, 'Line four'],
  [18, 'Line five'],
];

function ffmpeg(file: string, title: string, hz: number): void {
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${hz}:duration=25`],
    ...['-c:a', 'libmp3lame', '-b:a', '128k', '-metadata', `title=${title}`, '-metadata', 'artist=Singer'],
    path.join(library, file),
  ]);
}

before(async () => {
  mkdirSync(library, { recursive: true });
  ffmpeg('a-synced.mp3', 'Synced Song', 440);
  ffmpeg('b-plain.mp3', 'Plain Song', 550);
  const stamp = (s: number): string => `[00:${String(s).padStart(2, '0')}.00]`;
  writeFileSync(
    path.join(library, 'a-synced.lrc'),
    `[ti:Synced Song]\n${SYNCED.map(([s, t]) => stamp(s) + t).join('\n')}\n`,
  );
  writeFileSync(
    path.join(library, 'b-plain.lrc'),
    Array.from({ length: 60 }, (_, k) => `Plain verse ${k + 1}`).join('\n'),
  );
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The line the .lrc puts at `seconds`. */
const lineAt = (seconds: number): string | undefined => SYNCED.filter(([s]) => s <= seconds).pop()?.[1];

/** The position the now-playing line shows, seconds. */
function shownPosition(screen: string): number {
  const match = /(\d+):(\d\d) \/ 0:25/.exec(screen);
  assert.ok(match, `a clock on screen:\n${screen}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

describe('lyrics in the player', () => {
  it('marks the line sung, moved at once by a seek; plain lyrics scroll by hand', async () => {
    const tui = silentPlayer(work, daemon.port, 'singer', 100, 36);
    try {
      await tui.waitFor(/Plain Song/);
      tui.keys('Enter', 'L');
      await tui.waitFor(/Lyrics: Singer - Synced Song \(synced, from its \.lrc\)/);
      await tui.waitFor(/▸ Line one/);
      tui.keys('p');
      const paused = await tui.waitFor(/Paused/);
      const at = shownPosition(paused);
      assert.match(paused, new RegExp(`▸ ${lineAt(at)}`));
      for (const seek of [1, 2]) {
        tui.keys('Right');
        const expected = lineAt(at + 5 * seek) as string;
        const screen = await tui.waitFor(new RegExp(`▸ ${expected}`), 5000);
        assert.equal(lineAt(shownPosition(screen)), expected);
        assert.equal(screen.match(/▸/g)?.length, 1, 'one line marked');
      }
      // The next song: its plain lyrics, from the top, scrolled by j.
      tui.keys('n');
      const plain = await tui.waitFor(/Lyrics: Singer - Plain Song \(plain/);
      assert.match(plain, /Plain verse 1\b/);
      assert.doesNotMatch(plain, /▸/);
      tui.keys('j', 'j', 'j');
      const scrolled = await tui.waitFor(/^(?![^]*Plain verse 3\b)[^]*Plain verse 4\b/);
      assert.match(scrolled, /Plain verse 4\b/);
      tui.keys('L');
      await tui.waitFor(/^(?![^]*Lyrics:)[^]*Library/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
