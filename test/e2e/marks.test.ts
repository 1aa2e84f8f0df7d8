/**
 * Ratings, favourites and play counts in the real player in tmux, kept by the real daemon: a key
 * rates the song under the cursor and `*` marks it (the daemon's stickers say so); a rating set by
 * another client shows at once; a song played past half is counted once; `o` orders the library
 * by the marks. Songs by ffmpeg.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { silentPlayer } from '../helpers/tmux.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-marks-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;
let client: TestClient;

function ffmpeg(file: string, title: string, seconds: number, hz: number): void {
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${hz}:duration=${seconds}`],
    ...['-c:a', 'libmp3lame', '-b:a', '128k', '-metadata', `title=${title}`, '-metadata', 'artist=Marker'],
    path.join(library, file),
  ]);
}

before(async () => {
  mkdirSync(library, { recursive: true });
  ffmpeg('a.mp3', 'Alpha', 30, 440); // each its own audio: stickers follow the audio
  ffmpeg('b.mp3', 'Bravo', 30, 550);
  ffmpeg('c.mp3', 'Charlie', 4, 660);
  daemon = await startTestDaemon(library);
  ({ client } = await TestClient.connect(daemon.port));
});
after(async () => {
  client.close();
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

const sticker = async (file: string, name: string): Promise<string | undefined> =>
  (await client.command('sticker', 'get', 'song', file, name)).fields[0]?.[1];

/** The library row of `title` on the screen. */
const rowOf = (screen: string, title: string): string => screen.split('\n').find((line) => line.includes(title)) ?? '';

describe('marks in the player', () => {
  it('rates, marks favourites, counts plays and orders the library by them, all kept by the daemon', async () => {
    const tui = silentPlayer(work, daemon.port, 'marker', 120, 36);
    try {
      await tui.waitFor(/Charlie/);
      // The cursor on Bravo (the second row): 4 rates it, * marks it.
      tui.keys('j', '4', '*');
      await until('the rating kept', async () => (await sticker('b.mp3', 'rating')) === 'rating=4' || undefined);
      await until(
        'the favourite kept',
        async () => (await sticker('b.mp3', 'favorite'))?.startsWith('favorite=20') || undefined,
      );
      assert.match(rowOf(tui.screen(), 'Bravo'), /★★★★ ♥/);
      // Another device rates Alpha: it shows here without a key.
      assert.ok((await client.command('sticker', 'set', 'song', 'a.mp3', 'rating', '2')).ok);
      await until('the other rating shown', () => /★★ {4}/.test(rowOf(tui.screen(), 'Alpha')) || undefined);
      // Charlie (4 s) played to its end: one play counted, shown on the now-playing line while it plays.
      tui.keys('j', 'Enter');
      await until('the play counted', async () => (await sticker('c.mp3', 'playcount')) === 'playcount=1' || undefined);
      await tui.waitFor(/played 1×/);
      await until('Charlie over', () => /Stopped/.test(tui.screen()) || undefined, 20_000);
      assert.equal(await sticker('c.mp3', 'playcount'), 'playcount=1', 'counted once');
      // o: most played (Charlie alone), top rated (Bravo, Alpha), favourites (Bravo), never played (Alpha, Bravo).
      tui.keys('o');
      const mostPlayed = await tui.waitFor(/Library \(1, most played\)/);
      assert.ok(mostPlayed.includes('Charlie') && !rowOf(mostPlayed, 'Alpha').includes('Alpha'));
      tui.keys('o');
      const topRated = await tui.waitFor(/Library \(2, top rated\)/);
      assert.ok(topRated.indexOf('Bravo') < topRated.indexOf('Alpha'), 'the higher rating first');
      tui.keys('o');
      await tui.waitFor(/Library \(1, favourites\)/);
      tui.keys('o');
      await tui.waitFor(/Library \(2, never played\)/);
      tui.keys('o');
      await tui.waitFor(/Library \(3\)/);
      // 0 clears the rating under the cursor, * again takes the favourite off.
      tui.keys('g', 'j', '0', '*');
      await until('the rating cleared', async () => (await sticker('b.mp3', 'rating')) === undefined || undefined);
      await until('the favourite cleared', async () => (await sticker('b.mp3', 'favorite')) === undefined || undefined);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
