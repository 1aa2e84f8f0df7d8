/**
 * Leaving the house with the phone where the terminal left off, and back: a play queue kept by a
 * phone through the Subsonic API (the npm subsonic-api client) taken up in the real player in
 * tmux (`T`), from its song and place; the player's queue handed on (`H`) and read back by the
 * phone. The TCP commands under both are checked as the protocol says them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SubsonicAPI } from 'subsonic-api';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { silentPlayer } from '../helpers/tmux.js';
import { ffmpegSongs } from '../helpers/tones.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-play-queue-'));
const library = path.join(work, 'library');
const TITLES = ['Amber', 'Basil', 'Cedar'];
let daemon: TestDaemon;
let phone: SubsonicAPI;
const id = (title: string): string => String(daemon.catalog.songAt(`${title.toLowerCase()}.mp3`)?.info.id);

before(async () => {
  mkdirSync(library, { recursive: true });
  ffmpegSongs(library, TITLES, 40, 'Trees');
  daemon = await startTestDaemon(library, { users: [{ name: 'alice', password: 'sesame' }] });
  phone = new SubsonicAPI({
    url: `http://127.0.0.1:${daemon.httpPort}`,
    auth: { username: 'alice', password: 'sesame' },
  });
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the play queue between a phone and the player', () => {
  it(
    'takes up what the phone kept, from its song and place, and hands its own back',
    { timeout: 120_000 },
    async () => {
      await phone.savePlayQueue({ id: TITLES.map(id), current: id('Basil'), position: 12_000 } as never);
      const tui = silentPlayer(work, daemon.port, 'laptop', 110, 36, ['--user', 'alice']);
      try {
        await tui.waitFor(/Cedar/);
        tui.keys('T');
        await tui.waitFor(/taken up from subsonic-api: 3 songs/);
        await tui.waitFor(/Queue \(3,/);
        // Basil plays from where the phone was (12 s in), not from its start.
        await tui.waitFor(/Basil[^]*0:1[2-9] \/ 0:40/);
        tui.keys('n');
        await tui.waitFor(/Cedar[^]*0:0[0-9] \/ 0:40/);
        tui.keys('H');
        await tui.waitFor(/the play queue is kept for alice: 3 songs/);
        const { playQueue } = await phone.getPlayQueue();
        assert.ok(playQueue);
        assert.deepEqual(
          [playQueue.entry?.map((entry) => entry.title), String(playQueue.current), playQueue.changedBy],
          [TITLES, id('Cedar'), 'laptop'],
        );
        assert.ok((playQueue.position ?? 0) < 20_000, `position ${playQueue.position}`);
        tui.keys('q');
        assert.equal(await tui.exitCode(), 0);
      } finally {
        tui.kill();
      }
    },
  );

  it('is refused for a name that is not a user, and for a current that is not one of the songs', async () => {
    const { client } = await TestClient.connect(daemon.port);
    try {
      assert.equal((await client.command('playqueue', 'mallory')).code, 'not_found');
      assert.equal((await client.command('saveplayqueue', 'mallory', '0', '0', id('Amber'))).code, 'not_found');
      assert.equal((await client.command('saveplayqueue', 'alice', '3', '0', id('Amber'))).code, 'bad_argument');
      assert.equal((await client.command('saveplayqueue', 'alice', '0', '-5', id('Amber'))).code, 'bad_argument');
      assert.equal((await client.command('saveplayqueue', 'alice', '0', '0', 'no such song')).code, 'not_found');
      assert.ok((await client.command('saveplayqueue', 'alice', '-1', '0')).ok, 'an empty queue');
      const answer = await client.command('playqueue', 'alice');
      assert.deepEqual(
        answer.fields.filter(([key]) => key !== 'changed'),
        [
          ['position_ms', '0'],
          ['changed_by', '127.0.0.1:' + client.socket.localPort],
        ],
      );
    } finally {
      client.close();
    }
  });
});
