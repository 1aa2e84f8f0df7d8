/**
 * A compilation and a two-disc album as a listener of ncmpcpp expects them: in the tree, one
 * album under its album artist, its songs by disc then track; `i` shows a song's every tag, its
 * file, format, bitrate and what of it is on disk. Files tagged by ffmpeg.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-song-info-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;

function ffmpeg(file: string, tags: Record<string, string>): void {
  const metadata = Object.entries(tags).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]);
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3'],
    ...['-c:a', 'libmp3lame', '-b:a', '128k'],
    ...metadata,
    path.join(library, file),
  ]);
}

before(async () => {
  mkdirSync(path.join(library, 'Comp'), { recursive: true });
  const compilation = { album: 'Summer Hits', album_artist: 'Various Artists', date: '2003', genre: 'Bossa Nova' };
  // In file order the discs interleave: 1-01, 2-01, 1-02.
  ffmpeg('Comp/a.mp3', { ...compilation, title: 'Opening', artist: 'Ana', disc: '1/2', track: '1' });
  ffmpeg('Comp/b.mp3', { ...compilation, title: 'Second Disc Start', artist: 'Bo', disc: '2/2', track: '1' });
  ffmpeg('Comp/c.mp3', { ...compilation, title: 'Closing One', artist: 'Cy', disc: '1/2', track: '2' });
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('album artist, discs and the song-info view', () => {
  it('files a compilation under its album artist, by disc then track, and shows a song’s tags with i', async () => {
    const dir = mkdtempSync(path.join(work, 'tty-'));
    const cacheDir = path.join(dir, 'cache');
    const tui = Tmux.start(
      dir,
      [
        ...testStreamtui(),
        ...['--port', String(daemon.port), '--name', 'info', '--cache-dir', cacheDir, '--audio', 'null'],
      ],
      { XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
      120,
      40,
    );
    try {
      await tui.waitFor(/Closing One/);
      // A field search, accents aside: the one song by Cy, then the three of the genre.
      tui.keys('/');
      tui.type('artist:cy');
      await tui.waitFor(/Library: \/artist:cy \(1\)/);
      tui.keys('Escape');
      await tui.waitFor(/Library \(3\)/); // apart: Esc and / at once read as Alt-/
      tui.keys('/');
      tui.type('genre:bossa year:2003');
      await tui.waitFor(/Library: \/genre:bossa year:2003 \(3\)/);
      tui.keys('Escape');
      tui.keys('v');
      const tree = await tui.waitFor(/Various Artists/);
      for (const artist of ['Ana', 'Bo', 'Cy']) assert.doesNotMatch(tree, new RegExp(`▸ ${artist}\\b`));
      tui.keys('g', 'Right', 'Down', 'Right');
      const album = await tui.waitFor(/2-01/);
      const order = ['1-01 Ana - Opening', '1-02 Cy - Closing One', '2-01 Bo - Second Disc Start'].map((line) =>
        album.indexOf(line),
      );
      assert.ok(
        order.every((at, i) => at > 0 && (i === 0 || at > (order[i - 1] as number))),
        `disc then track:\n${album}`,
      );

      tui.keys('Down', 'i');
      const info = await tui.waitFor(/song \(i or Esc to close\)/);
      for (const line of [
        /title +Opening/,
        /artist +Ana/,
        /album artist +Various Artists/,
        /album +Summer Hits/,
        /disc +1/,
        /genre +Bossa Nova/,
        /year +2003/,
        /file +Comp\/a\.mp3/,
        /format +MP3, 44,100 Hz/,
        /bitrate +1\d\d kbit\/s/,
        /cached +[01] of 1 blocks/,
        new RegExp(`cache +${cacheDir.replace(/[.]/g, '\\.')}`),
      ])
        assert.match(info, line);
      tui.keys('Escape');
      await tui.waitFor(/^(?![^]*song \(i or Esc)[^]*Various Artists/);
      // Playing: the title line names artist and title, the next the album, its artist and year.
      tui.keys('Enter');
      const now = await tui.waitFor(/Playing {2}Ana - Opening/);
      assert.match(now, /│Summer Hits · Various Artists · 2003 +│/);
      assert.doesNotMatch(now, /│Comp\/a\.mp3/, 'not the path');
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
