/**
 * Three real players, as a house has them: "kitchen" and "bedroom" without a screen (--headless),
 * each in a room of its own on one PulseAudio server, both rooms recorded on one timeline (left:
 * the kitchen, right: the bedroom); "desk", the full-screen player in tmux, drives them. From the
 * desk: a song played on the kitchen, its volume lowered (the kitchen's recording follows), a song
 * queued there (the desk's queue panel shows the kitchen's queue), a skip, a skip back and a
 * seek; then the kitchen's music sent to the bedroom (S in
 * the devices panel), whose recording continues the kitchen's song at the place it had reached;
 * then moved to the desk (M). Then both rooms through a daemon restarted mid-song (no gap in
 * either), and the kitchen killed and started again (its queue and song back) while the bedroom
 * plays on. Where each room is in the song is found in the recording itself.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestClient, records } from '../helpers/client.js';
import { streamtuiCommand } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { selectDevice, silentPlayer, type Tmux } from '../helpers/tmux.js';
import { levelsSong, longestSilenceMs, placeInSong, soundSpan, twoRooms, type TwoRooms } from '../helpers/two-rooms.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-handoff-'));
const first = levelsSong(90, 11);
let daemon: TestDaemon;
let musicDir: string;
let rooms: TwoRooms;
let laptop: TestClient;
const headless: ChildProcess[] = [];
/** The players without a screen, by name, as last started. */
const players = new Map<string, ChildProcess>();

before(async () => {
  const library = path.join(work, 'library', 'Rooms');
  mkdirSync(library, { recursive: true });
  writeFileSync(path.join(library, 'amber.wav'), first.wav);
  writeFileSync(path.join(library, 'basil.wav'), levelsSong(60, 23).wav);
  musicDir = path.dirname(library);
  daemon = await startTestDaemon(musicDir);
  rooms = await twoRooms();
  laptop = (await TestClient.connect(daemon.port)).client;
  assert.equal((await laptop.command('hello', 'laptop')).ok, true);
});
after(async () => {
  for (const player of headless) player.kill('SIGKILL');
  laptop.close();
  await daemon.stop();
  rooms.stop();
  rmSync(work, { recursive: true, force: true });
});

function headlessPlayer(name: string, env: Record<string, string>): ChildProcess {
  const [program, ...args] = streamtuiCommand() as [string, ...string[]];
  const dir = path.join(work, name);
  const flags = ['--headless', '--port', String(daemon.port), '--name', name, '--audio', 'pulse', '--no-calls'];
  const dirs = ['--cache-dir', path.join(dir, 'cache'), '--state-dir', path.join(dir, 'state')];
  const player = spawn(program, [...args, ...flags, ...dirs, '--no-mpris'], {
    env: { ...process.env, ...env, XDG_CONFIG_HOME: path.join(dir, 'config') },
    stdio: 'ignore',
  });
  headless.push(player);
  players.set(name, player);
  return player;
}

/** A device's record once `test` holds for it. */
async function recordOf(name: string, test: (record: Map<string, string>) => boolean): Promise<Map<string, string>> {
  let last: Map<string, string> | undefined;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(50)) {
    last = records(await laptop.command('lista dispositivos'), 'device').find((r) => r.get('device') === name);
    if (last && test(last)) return last;
  }
  throw new Error(`${name}'s record never held: ${JSON.stringify([...(last ?? [])])}`);
}
/** The library's search, kept: the one song found is selected. */
async function find(tui: Tmux, title: string): Promise<void> {
  tui.keys('/');
  tui.type(title);
  await tui.waitFor(new RegExp(`Library: /${title} \\(1\\)`));
  tui.keys('Enter');
}
const status = (pattern: RegExp) => (record: Map<string, string>) => pattern.test(record.get('status') ?? '');
/** The place in its song a status line says, s. */
const seconds = (status: string): number => {
  const [, m, s] = /(\d+):(\d\d)\/\d+:\d\d$/.exec(status) ?? [];
  return Number(m) * 60 + Number(s);
};

describe('three players in a house', () => {
  it(
    'drives the kitchen from the desk, and moves its music to the bedroom where it was',
    { timeout: 180_000 },
    async () => {
      headlessPlayer('kitchen', rooms.lead);
      headlessPlayer('bedroom', rooms.follow);
      const desk = silentPlayer(work, daemon.port, 'desk', 110, 36);
      try {
        await recordOf('kitchen', (r) => r.get('control') === 'yes');
        await recordOf('bedroom', (r) => r.get('control') === 'yes');
        await desk.waitFor(/basil/);
        const recording = await rooms.record();
        await selectDevice(desk, 'kitchen');
        desk.keys('D');
        await desk.waitFor(/Now playing on kitchen/);
        desk.keys('Tab');
        await find(desk, 'amber');
        desk.keys('Enter');
        await recordOf('kitchen', status(/^playing Rooms\/amber\.wav/));
        await find(desk, 'basil');
        desk.keys('a');
        await find(desk, 'amber');
        desk.keys('a');
        await recordOf('kitchen', (r) => r.get('queue_length') === '3' && r.get('queue_pos') === '0');
        // The desk's queue panel shows the kitchen's queue, the entry playing marked (not the same song queued again).
        await desk.waitFor(/Queue on kitchen \(3, [\s\S]*▶Rooms\/amber[\s\S]* {2}Rooms\/basil[\s\S]* {2}Rooms\/amber/);
        const loud = recording.seconds();
        await sleep(1500);
        desk.keys(...Array<string>(6).fill('-'));
        await recordOf('kitchen', (r) => r.get('volume') === '70');
        await sleep(800);
        const quiet = recording.seconds();
        await sleep(1200);
        desk.keys('n');
        await recordOf('kitchen', status(/^playing Rooms\/basil\.wav/));
        desk.keys('b');
        await recordOf('kitchen', status(/^playing Rooms\/amber\.wav/));
        desk.keys('.'); // 30 s on
        await recordOf('kitchen', status(/^playing Rooms\/amber\.wav 0:(3\d|4\d)/));
        await sleep(2000);
        await selectDevice(desk, 'bedroom');
        desk.keys('S');
        await desk.waitFor(/moving kitchen's music to bedroom/);
        await recordOf('bedroom', status(/^playing Rooms\/amber\.wav 0:(3\d|4\d)/));
        await recordOf('kitchen', status(/^(stopped|idle)/));
        await desk.waitFor(/Now playing on bedroom/);
        await sleep(2500);
        const pcm = await recording.stop();
        // The queue went with the music; the desk's queue panel now shows the bedroom's, and moves an entry there.
        await desk.waitFor(/Queue on bedroom \(3, [\s\S]*▶Rooms\/amber[\s\S]* {2}Rooms\/basil[\s\S]* {2}Rooms\/amber/);
        desk.keys('Tab', 'Tab', 'Down', 'K'); // devices -> library -> queue; basil up
        await desk.waitFor(/bedroom: 'Rooms\/basil\.wav' moved/);
        await desk.waitFor(/Queue on bedroom \(3, [\s\S]*>.Rooms\/basil[\s\S]*▶Rooms\/amber[\s\S]* {2}Rooms\/amber/);

        // The volume: the kitchen's level against the song's, before and after.
        const before = placeInSong(pcm, 0, loud, first.samples);
        const afterwards = placeInSong(pcm, 0, quiet, first.samples);
        assert.ok(before.strength > 0.9 && afterwards.strength > 0.9, `the kitchen plays the song: ${before.strength}`);
        const ratio = afterwards.gain / before.gain;
        assert.ok(ratio < 0.8 && ratio > 0.1, `the kitchen's level follows its volume (70%): x${ratio.toFixed(2)}`);

        // The handoff: where the kitchen stopped, the bedroom goes on.
        const kitchen = soundSpan(pcm, 0);
        const bedroom = soundSpan(pcm, 1);
        assert.ok(kitchen && bedroom, 'both rooms sounded');
        const gapMs = (bedroom.first - kitchen.last) * 1000;
        const lastHeard = placeInSong(pcm, 0, kitchen.last - 1.1, first.samples);
        const firstHeard = placeInSong(pcm, 1, bedroom.first + 0.1, first.samples);
        assert.ok(firstHeard.strength > 0.9, `the bedroom plays the kitchen's song: ${firstHeard.strength}`);
        // Each room's place in the song against the recording's clock: the same line, if the bedroom went on where the kitchen was.
        const kitchenLine = lastHeard.songSecond - (kitchen.last - 1.1);
        const bedroomLine = firstHeard.songSecond - (bedroom.first + 0.1);
        const jumpMs = (bedroomLine - kitchenLine) * 1000;
        const said = `silence between the rooms ${gapMs.toFixed(0)} ms (negative: both played), the bedroom ${jumpMs.toFixed(0)} ms on from where the kitchen was`;
        assert.ok(Math.abs(jumpMs) < 50, `${said} ${JSON.stringify({ kitchen, bedroom, lastHeard, firstHeard })}`);
        assert.ok(bedroom.first > kitchen.last - 1, `${said}: the kitchen stops as the bedroom starts`);

        // And back to the desk: M on the bedroom.
        desk.keys('Tab'); // queue -> devices
        desk.keys('M');
        await desk.waitFor(/moving bedroom's music to this device/);
        await recordOf('desk', status(/^playing Rooms\/amber\.wav/));
        await recordOf('bedroom', status(/^(stopped|idle)/));
        await desk.waitFor(/the keys play here|Now playing(?! on)/);
        desk.keys('q');
        assert.equal(await desk.exitCode(), 0);
      } finally {
        desk.kill();
      }
    },
  );
  it(
    'both players without a screen play on through a daemon restart; one killed comes back with its queue and song, the other playing on',
    { timeout: 120_000 },
    async () => {
      const remote = async (device: string, ...words: string[]): Promise<void> => {
        const answer = await laptop.command('remote', device, ...words);
        assert.equal(answer.ok, true, answer.text);
      };
      await remote('kitchen', 'play', 'Rooms/amber.wav', 'Rooms/basil.wav');
      await remote('bedroom', 'play', 'Rooms/basil.wav');
      await recordOf('kitchen', status(/^playing Rooms\/amber\.wav/));
      await recordOf('bedroom', status(/^playing Rooms\/basil\.wav/));
      const recording = await rooms.record();
      await sleep(1500);

      // The daemon stopped mid-song and started again where it was: both reconnect, and play on meanwhile.
      const stoppedAt = recording.seconds();
      laptop.close();
      const { port, udpPort } = daemon;
      await daemon.stop();
      await sleep(1000);
      daemon = await startTestDaemon(musicDir, { port, udpPort });
      laptop = (await TestClient.connect(daemon.port)).client;
      assert.equal((await laptop.command('hello', 'laptop')).ok, true);
      await recordOf('kitchen', (r) => status(/^playing Rooms\/amber\.wav/)(r) && r.get('control') === 'yes');
      await recordOf('bedroom', (r) => status(/^playing Rooms\/basil\.wav/)(r) && r.get('control') === 'yes');
      await remote('bedroom', 'volume', '90'); // and takes commands again
      await recordOf('bedroom', (r) => r.get('volume') === '90');
      const backAt = recording.seconds();

      // The kitchen killed without a word, and started again: its queue and song are back, near
      // where it was; the bedroom plays on all the while.
      const before = seconds((await recordOf('kitchen', status(/^playing/))).get('status') ?? '');
      const killed = players.get('kitchen') as ChildProcess;
      const exited = new Promise((resolve) => killed.once('exit', resolve));
      killed.kill('SIGKILL');
      await exited;
      const killedAt = recording.seconds();
      await recordOf('bedroom', status(/^playing/)); // still listed, still playing
      for (const deadline = Date.now() + 20_000; ; await sleep(100)) {
        const list = records(await laptop.command('lista dispositivos'), 'device');
        if (!list.some((r) => r.get('device') === 'kitchen')) break;
        assert.ok(Date.now() < deadline, 'the kitchen stayed listed after its kill');
      }
      headlessPlayer('kitchen', rooms.lead);
      const back = await recordOf(
        'kitchen',
        (r) => status(/^playing Rooms\/amber\.wav/)(r) && r.get('queue_length') === '2',
      );
      const at = seconds(back.get('status') ?? '');
      assert.ok(at >= before - 6 && at <= before + 20, `the kitchen was at ${before} s, plays on at ${at} s`);
      await sleep(1500);
      const pcm = await recording.stop();
      const end = pcm.length / 4 / 44100;

      for (const [room, name] of [
        [0, 'kitchen'],
        [1, 'bedroom'],
      ] as const) {
        const gap = longestSilenceMs(pcm, room, stoppedAt, backAt);
        assert.ok(gap < 50, `the ${name} went silent for ${gap} ms while the daemon restarted`);
      }
      const bedroomGap = longestSilenceMs(pcm, 1, killedAt, end);
      assert.ok(bedroomGap < 50, `the bedroom went silent for ${bedroomGap} ms while the kitchen was killed and back`);
      const kitchenBack = longestSilenceMs(pcm, 0, end - 1, end);
      assert.ok(kitchenBack < 50, `the kitchen sounds again: ${kitchenBack} ms silent in its last second`);
    },
  );
});
