/**
 * Quitting the full-screen player leaves its music playing: y to the question hands the song to a
 * player without a screen on this machine ("desk headless", started for it), which plays on where
 * the song was; started again, the full-screen player takes the music back, and that player ends.
 * All of it in one recorded room of a real PulseAudio server: the song goes on in the recording
 * without a gap, at the place it had reached.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestClient, records } from '../helpers/client.js';
import { streamtuiCommand } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { Tmux } from '../helpers/tmux.js';
import { levelsSong, longestSilenceMs, placeInSong, twoRooms, type TwoRooms } from '../helpers/two-rooms.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-quit-'));
const song = levelsSong(90, 31);
const desk = path.join(work, 'desk');
let daemon: TestDaemon;
let rooms: TwoRooms;
let laptop: TestClient;

before(async () => {
  const library = path.join(work, 'library', 'Rooms');
  mkdirSync(library, { recursive: true });
  writeFileSync(path.join(library, 'amber.wav'), song.wav);
  daemon = await startTestDaemon(path.dirname(library));
  rooms = await twoRooms();
  laptop = (await TestClient.connect(daemon.port)).client;
  assert.equal((await laptop.command('hello', 'laptop')).ok, true);
});
after(async () => {
  // The player started for the hand-over, should a failed run leave it behind: it names the desk's state dir.
  try {
    execFileSync('pkill', ['-KILL', '-f', path.join(desk, 'state')]);
  } catch {
    // none left
  }
  laptop.close();
  await daemon.stop();
  rooms.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The full-screen player "desk" in the recorded room, in tmux; each run with its own exit file, the same folders. */
function deskPlayer(extra: readonly string[] = []): Tmux {
  const tty = mkdtempSync(path.join(work, 'tty-'));
  const flags = ['--port', String(daemon.port), '--name', 'desk', '--audio', 'pulse', '--no-calls', '--no-mpris'];
  const dirs = ['--cache-dir', path.join(desk, 'cache'), '--state-dir', path.join(desk, 'state')];
  return Tmux.start(
    tty,
    [...streamtuiCommand(), ...flags, ...dirs, ...extra],
    { ...rooms.lead, XDG_CONFIG_HOME: path.join(desk, 'config'), STREAMTUI_LOG: path.join(tty, 'player.log') },
    110,
    36,
  );
}

const deviceRecords = async (): Promise<Array<Map<string, string>>> =>
  records(await laptop.command('lista dispositivos'), 'device');
async function until(what: string, test: (devices: Array<Map<string, string>>) => boolean): Promise<void> {
  let last: Array<Map<string, string>> = [];
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) {
    last = await deviceRecords();
    if (test(last)) return;
  }
  throw new Error(`${what} never came: ${JSON.stringify(last.map((r) => [...r]))}`);
}
const playsAmber = (name: string) => (devices: Array<Map<string, string>>) =>
  devices.some((r) => r.get('device') === name && /^playing Rooms\/amber\.wav/.test(r.get('status') ?? ''));
const gone = (name: string) => (devices: Array<Map<string, string>>) => !devices.some((r) => r.get('device') === name);

describe('quitting with the music playing on', () => {
  it(
    'hands the song to a player without a screen, and takes it back at the next start, without a gap',
    { timeout: 180_000 },
    async (t) => {
      const first = deskPlayer();
      let second: Tmux | undefined;
      try {
        await first.waitFor(/amber/);
        const recording = await rooms.record();
        first.keys('Enter');
        await until('the desk playing', playsAmber('desk'));
        await sleep(3000);
        const beforeQuit = recording.seconds();
        first.keys('q');
        await first.waitFor(/keep the music playing once the player has quit\? y: on desk headless/);
        first.keys('y');
        assert.equal(await first.exitCode(20_000), 0, first.logs());
        const quit = recording.seconds();
        await until('desk headless playing, the desk gone', (d) => playsAmber('desk headless')(d) && gone('desk')(d));
        await sleep(3000);
        const beforeStart = recording.seconds();

        second = deskPlayer();
        await until(
          'the desk playing again, desk headless gone',
          (d) => playsAmber('desk')(d) && gone('desk headless')(d),
        );
        const back = recording.seconds();
        await second.waitFor(/taking the music back from desk headless|Playing/);
        await sleep(2500);
        const pcm = await recording.stop();
        const end = recording.seconds();

        // One line through the song against the recording's clock, before, between and after.
        const lineAt = (second: number): number => {
          const place = placeInSong(pcm, 0, second, song.samples);
          assert.ok(place.strength > 0.9, `the song is heard at ${second.toFixed(2)} s: ${place.strength}`);
          return place.songSecond - second;
        };
        const deskLine = lineAt(beforeQuit - 1.5);
        const headlessLine = lineAt(beforeStart - 1.5);
        const backLine = lineAt(end - 1.5);
        const jumps = [headlessLine - deskLine, backLine - headlessLine].map((jump) => Math.round(jump * 1000));
        const silences = [
          longestSilenceMs(pcm, 0, beforeQuit, quit + 1),
          longestSilenceMs(pcm, 0, beforeStart, back + 1),
        ];
        const said = `jumps in the song ${jumps.join(', ')} ms; longest silences ${silences.join(', ')} ms`;
        t.diagnostic(said);
        assert.ok(
          jumps.every((jump) => Math.abs(jump) < 50),
          `the song goes on where it was: ${said}`,
        );
        assert.ok(
          silences.every((silence) => silence < 100),
          `no gap of 100 ms: ${said}`,
        );
        second.keys('q');
        await second.waitFor(/keep the music playing/);
        second.keys('n');
        assert.equal(await second.exitCode(), 0);
      } finally {
        first.kill();
        second?.kill();
      }
    },
  );

  it('with keep_playing always, hands the music over when its terminal closes; that player ends when its music stops', async () => {
    const tui = deskPlayer(['--keep-playing', 'always']);
    try {
      await tui.waitFor(/amber/);
      tui.keys('Enter');
      await until('the desk playing', playsAmber('desk'));
      tui.kill(); // the terminal goes: SIGHUP
      await until('desk headless playing, the desk gone', (d) => playsAmber('desk headless')(d) && gone('desk')(d));
      assert.equal((await laptop.command('remote', 'desk headless', 'stop')).ok, true);
      await until('desk headless gone once its music stopped', gone('desk headless'));
    } finally {
      tui.kill();
    }
  });
});
