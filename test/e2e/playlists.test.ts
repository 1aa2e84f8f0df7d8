/**
 * Stored playlists in the real player in tmux, kept by the real daemon: the queue saved under a
 * name typed in the playlists view (`P`, `S`), a playlist saved by another device shown at once,
 * one loaded as the queue and one added to it, one deleted after a yes. Songs by ffmpeg.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { silentPlayer } from '../helpers/tmux.js';
import { ffmpegSongs } from '../helpers/tones.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-playlists-'));
const library = path.join(work, 'library');
const TITLES = ['Amber', 'Basil', 'Cedar', 'Dune'];
let daemon: TestDaemon;
let client: TestClient;

before(async () => {
  mkdirSync(library, { recursive: true });
  ffmpegSongs(library, TITLES, 5, 'Trees');
  daemon = await startTestDaemon(library);
  ({ client } = await TestClient.connect(daemon.port));
});
after(async () => {
  client.close();
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

const files = async (name: string): Promise<string[]> =>
  (await client.command('listplaylist', name)).fields.filter(([key]) => key === 'file').map(([, file]) => file);

describe('stored playlists in the player', () => {
  it('saves the queue as one, shows another device’s at once, loads, adds and deletes them', async () => {
    const tui = silentPlayer(work, daemon.port, 'lister', 110, 36);
    try {
      await tui.waitFor(/Dune/);
      // Amber and Cedar into the queue, then saved as "Road Trip".
      tui.keys('a', 'j', 'j', 'a');
      await tui.waitFor(/Queue \(2,/);
      tui.keys('P');
      await tui.waitFor(/Playlists \(0\)/);
      tui.keys('S');
      tui.type('Road Trip');
      await tui.waitFor(/save the queue as: Road Trip/);
      tui.keys('Enter');
      await tui.waitFor(/the queue saved as 'Road Trip' \(2 songs\)/);
      assert.deepEqual(await files('Road Trip'), ['amber.mp3', 'cedar.mp3']);
      await tui.waitFor(/Playlists \(1\)[^]*Road Trip/);
      // Another device saves one: it shows in the open view without a key.
      assert.ok((await client.command('save', 'From Phone', 'dune.mp3', 'basil.mp3', 'dune.mp3')).ok);
      await tui.waitFor(/Playlists \(2\)[^]*From Phone[^]*Road Trip/);
      // The cursor stays on Road Trip as the list grows; up to From Phone, Enter: it becomes the queue.
      tui.keys('k', 'Enter');
      await tui.waitFor(/3 songs queued from the playlist 'From Phone'/);
      await tui.waitFor(/Queue \(3,/);
      // a on Road Trip: added after it.
      tui.keys('P', 'j', 'a');
      await tui.waitFor(/2 songs added from the playlist 'Road Trip'/);
      await tui.waitFor(/Queue \(5,/);
      // d, then y: deleted.
      tui.keys('P');
      await tui.waitFor(/Playlists \(2\)/);
      tui.keys('k', 'd');
      await tui.waitFor(/delete the playlist 'From Phone'\? y \/ n/);
      tui.keys('y');
      await until(
        'the playlist deleted',
        async () =>
          (await client.command('listplaylists')).fields.every(([, value]) => value !== 'From Phone') || undefined,
      );
      await tui.waitFor(/Playlists \(1\)/);
      tui.keys('Escape');
      await tui.waitFor(/^(?![^]*Playlists \()[^]*Library/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
  });
});
