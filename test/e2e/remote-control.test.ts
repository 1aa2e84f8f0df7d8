/**
 * Remote control of the real player in tmux: another device (a plain TCP client, as any controller
 * is to the daemon) plays songs on "kitchen", pauses, resumes, seeks, skips, sets its volume and
 * edits its queue; each shows on kitchen's screen and in its device record (`status`, `volume`,
 * `queue_length`). A player started with --no-remote-control says `control: no`, and a command to
 * it is refused. And one player driving another from its devices panel (D), as ncmpcpp drives an
 * MPD in another room: Enter, Space, a seek and the volume act there; Esc, here again.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestClient, records } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { selectDevice, silentPlayer } from '../helpers/tmux.js';
import { ffmpegSongs } from '../helpers/tones.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-remote-'));
const library = path.join(work, 'library');
const TITLES = ['Amber', 'Basil', 'Cedar'];
let daemon: TestDaemon;
let laptop: TestClient;

before(async () => {
  mkdirSync(library, { recursive: true });
  ffmpegSongs(library, TITLES, 60, 'Trees');
  daemon = await startTestDaemon(library);
  laptop = (await TestClient.connect(daemon.port)).client;
  assert.equal((await laptop.command('hello', 'laptop')).ok, true);
});
after(async () => {
  laptop.close();
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Kitchen's device record once `test` holds for it (the record changes as the player says so). */
async function recordOf(name: string, test: (record: Map<string, string>) => boolean): Promise<Map<string, string>> {
  let last: Map<string, string> | undefined;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(50)) {
    last = records(await laptop.command('lista dispositivos'), 'device').find((r) => r.get('device') === name);
    if (last && test(last)) return last;
  }
  throw new Error(`${name}'s record never held: ${JSON.stringify([...(last ?? [])])}`);
}
async function remote(...words: string[]): Promise<void> {
  const answer = await laptop.command('remote', ...words);
  assert.equal(answer.ok, true, `remote ${words.join(' ')}: ${answer.text}`);
}

describe('remote control of a player', () => {
  it('does what another device asks, and its record and screen say so', { timeout: 120_000 }, async () => {
    const kitchen = silentPlayer(work, daemon.port, 'kitchen', 110, 36);
    try {
      await kitchen.waitFor(/Cedar/);
      await recordOf('kitchen', (r) => r.get('control') === 'yes' && r.get('queue_length') === '0');

      await remote('kitchen', 'play', 'amber.mp3', 'basil', 'cedar');
      await kitchen.waitFor(/laptop: playing 3 songs/);
      await recordOf(
        'kitchen',
        (r) => /^playing amber\.mp3/.test(r.get('status') ?? '') && r.get('queue_length') === '3',
      );

      await remote('kitchen', 'pause');
      await recordOf('kitchen', (r) => /^paused amber\.mp3/.test(r.get('status') ?? ''));
      await remote('kitchen', 'seek', '30');
      await kitchen.waitFor(/Amber[^]*0:3[0-1] \/ 1:00/);
      await remote('kitchen', 'resume');
      await recordOf('kitchen', (r) => /^playing amber\.mp3/.test(r.get('status') ?? ''));

      await remote('kitchen', 'next');
      await recordOf('kitchen', (r) => /^playing basil\.mp3/.test(r.get('status') ?? ''));
      await remote('kitchen', 'volume', '40');
      await recordOf('kitchen', (r) => r.get('volume') === '40');
      await kitchen.waitFor(/laptop: volume 40%/);

      // The queue: Amber added at the end, moved to the top, then the top removed: Amber Basil Cedar again.
      await remote('kitchen', 'add', 'amber');
      await recordOf('kitchen', (r) => r.get('queue_length') === '4');
      await remote('kitchen', 'move', '3', '0');
      await kitchen.waitFor(/laptop: queue reordered/);
      await remote('kitchen', 'delete', '0');
      await recordOf('kitchen', (r) => r.get('queue_length') === '3');
      await remote('kitchen', 'start', '2', '45000');
      await kitchen.waitFor(/Cedar[^]*0:4[5-9] \/ 1:00/);
      await remote('kitchen', 'clear');
      await recordOf('kitchen', (r) => r.get('status') === 'idle' || /^stopped|^idle/.test(r.get('status') ?? ''));
      await recordOf('kitchen', (r) => r.get('queue_length') === '0');
      kitchen.keys('q');
      assert.equal(await kitchen.exitCode(), 0);
    } finally {
      kitchen.kill();
    }
  });

  it('drives another player from its devices panel, and comes back with Esc', { timeout: 120_000 }, async () => {
    const kitchen = silentPlayer(work, daemon.port, 'kitchen', 110, 36);
    const desk = silentPlayer(work, daemon.port, 'desk', 110, 36);
    try {
      await kitchen.waitFor(/Cedar/);
      await desk.waitFor(/Cedar/);
      await recordOf('kitchen', (r) => r.get('control') === 'yes');
      await selectDevice(desk, 'kitchen');
      desk.keys('D');
      await desk.waitFor(/driving kitchen: the playback keys and its queue act on it/);
      await desk.waitFor(/Now playing on kitchen/);
      // Back in the library: Enter on Basil plays it on the kitchen, not here.
      desk.keys('Tab', 'g', 'Down');
      await desk.waitFor(/>.*Basil/);
      desk.keys('Enter');
      await recordOf('kitchen', (r) => /^playing basil\.mp3/.test(r.get('status') ?? ''));
      await kitchen.waitFor(/desk: playing from here/);
      assert.doesNotMatch(
        (await recordOf('desk', () => true)).get('status') ?? '',
        /^playing/,
        'the desk itself plays nothing',
      );
      desk.keys('.'); // seek 30 s on
      await recordOf('kitchen', (r) => /^playing basil\.mp3 0:(2[5-9]|3\d)/.test(r.get('status') ?? ''));
      desk.keys('-', '-');
      await recordOf('kitchen', (r) => r.get('volume') === '90');
      desk.keys('Space');
      await recordOf('kitchen', (r) => /^paused basil\.mp3/.test(r.get('status') ?? ''));
      await desk.waitFor(/Now playing on kitchen[^]*‖ Trees - Basil/);
      desk.keys('Escape');
      await desk.waitFor(/the keys play here again/);
      desk.keys('Space');
      await recordOf('desk', (r) => /^playing/.test(r.get('status') ?? ''));
      assert.match(
        (await recordOf('kitchen', () => true)).get('status') ?? '',
        /^paused basil/,
        'the kitchen stays paused',
      );
      desk.keys('q');
      kitchen.keys('q');
      assert.equal(await desk.exitCode(), 0);
      assert.equal(await kitchen.exitCode(), 0);
    } finally {
      desk.kill();
      kitchen.kill();
    }
  });

  it('is refused by a player that does not take remote control', { timeout: 60_000 }, async () => {
    const bedroom = silentPlayer(work, daemon.port, 'bedroom', 110, 36, ['--no-remote-control']);
    try {
      await bedroom.waitFor(/Cedar/);
      await recordOf('bedroom', (r) => r.get('control') === 'no');
      const answer = await laptop.command('remote', 'bedroom', 'play', 'amber');
      assert.equal(answer.code, 'permission', answer.text);
      bedroom.keys('q');
      assert.equal(await bedroom.exitCode(), 0);
    } finally {
      bedroom.kill();
    }
  });
});
