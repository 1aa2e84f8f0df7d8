/**
 * A player without a screen (`streamtui --headless`), as a kitchen speaker runs it: driven from
 * another device, it plays; the daemon (a real `streamd run`) restarted mid-song, it reconnects and
 * takes commands again; killed (SIGKILL) and started again, its queue and song are back and it
 * plays on near where it was; SIGTERM ends it cleanly, its log written, and nothing of the screen
 * was ever loaded (blessed, the view).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestClient, records } from '../helpers/client.js';
import { freePort, sandbox, streamtuiCommand, type Sandbox } from '../helpers/cli.js';
import { ffmpegSongs } from '../helpers/tones.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-headless-'));
const library = path.join(work, 'library');
const playerDir = path.join(work, 'kitchen');
/** Written by the player as it exits: every CommonJS module it loaded (blessed is one). */
const modulesFile = path.join(work, 'modules.json');
const preload = path.join(work, 'modules-at-exit.cjs');
let box: Sandbox;
let port: number;
let daemon: ChildProcess;

async function startDaemon(): Promise<ChildProcess> {
  const child = box.spawnRun(['--music', library, '--port', String(port), '--state-dir', box.stateDir]);
  let said = '';
  child.stderr?.on('data', (chunk: Buffer) => (said += chunk.toString()));
  for (const deadline = Date.now() + 30_000; !/library: \d+ songs/.test(said); await sleep(20))
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`streamd did not start: ${said}`);
  return child;
}
async function stopDaemon(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function startPlayer(): ChildProcess {
  const [program, ...args] = streamtuiCommand(['--require', preload]) as [string, ...string[]];
  const flags = ['--headless', '--port', String(port), '--name', 'kitchen', '--audio', 'null', '--no-calls'];
  const dirs = ['--cache-dir', path.join(playerDir, 'cache'), '--state-dir', path.join(playerDir, 'state')];
  return spawn(program, [...args, ...flags, ...dirs], {
    env: { ...process.env, XDG_CONFIG_HOME: path.join(playerDir, 'config'), MODULES_FILE: modulesFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A controller's view of the devices: kitchen's record once `test` holds for it. */
async function kitchen(test: (record: Map<string, string>) => boolean, ms = 20_000): Promise<Map<string, string>> {
  let last: Map<string, string> | undefined;
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) {
    const laptop = await TestClient.connect(port).catch(() => undefined);
    if (!laptop) continue;
    try {
      last = records(await laptop.client.command('lista dispositivos'), 'device').find(
        (r) => r.get('device') === 'kitchen',
      );
    } finally {
      laptop.client.close();
    }
    if (last && test(last)) return last;
  }
  throw new Error(`kitchen's record never held: ${JSON.stringify([...(last ?? [])])}`);
}
/** Until kitchen's last connection is closed (the daemon saw the kill). */
async function gone(): Promise<void> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
    const { client } = await TestClient.connect(port);
    try {
      const list = records(await client.command('lista dispositivos'), 'device');
      if (!list.some((r) => r.get('device') === 'kitchen')) return;
    } finally {
      client.close();
    }
  }
  throw new Error('kitchen stayed listed after its kill');
}
async function remote(...words: string[]): Promise<void> {
  const { client } = await TestClient.connect(port);
  try {
    assert.equal((await client.command('hello', 'laptop')).ok, true);
    const answer = await client.command('remote', 'kitchen', ...words);
    assert.equal(answer.ok, true, answer.text);
  } finally {
    client.close();
  }
}
const seconds = (status: string): number => {
  const [, m, s] = /(\d+):(\d\d)\/\d+:\d\d$/.exec(status) ?? [];
  return Number(m) * 60 + Number(s);
};

before(async () => {
  mkdirSync(library, { recursive: true });
  ffmpegSongs(library, ['Amber', 'Basil'], 120, 'Trees');
  writeFileSync(
    preload,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.MODULES_FILE, JSON.stringify(Object.keys(require.cache))));\n",
  );
  box = sandbox();
  port = await freePort();
  daemon = await startDaemon();
});
after(async () => {
  if (daemon.exitCode === null) await stopDaemon(daemon);
  box.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('a player without a screen', () => {
  it(
    'plays what it is asked, rides out a daemon restart and its own kill, and ends cleanly',
    { timeout: 180_000 },
    async () => {
      let player = startPlayer();
      try {
        await kitchen((r) => r.get('control') === 'yes');
        await remote('play', 'amber', 'basil');
        await kitchen((r) => /^playing amber\.mp3/.test(r.get('status') ?? '') && r.get('queue_length') === '2');

        // The daemon restarted mid-song: the player is back in the new one's list, playing, and drivable.
        await stopDaemon(daemon);
        daemon = await startDaemon();
        await kitchen((r) => /^playing amber\.mp3/.test(r.get('status') ?? '') && r.get('control') === 'yes');
        await remote('seek', '40');
        await kitchen((r) => seconds(r.get('status') ?? '') >= 40);

        // Killed without a word, then started again: its queue and song are back, and it plays on near there.
        const before = seconds((await kitchen((r) => seconds(r.get('status') ?? '') >= 47)).get('status') ?? '');
        player.kill('SIGKILL');
        await new Promise((resolve) => player.once('exit', resolve));
        await gone();
        player = startPlayer();
        const back = await kitchen(
          (r) => /^playing amber\.mp3/.test(r.get('status') ?? '') && r.get('queue_length') === '2',
        );
        const at = seconds(back.get('status') ?? '');
        assert.ok(at >= before - 6 && at <= before + 15, `it was at ${before} s, plays on at ${at} s`);

        const exited = new Promise<number | null>((resolve) => player.once('exit', resolve));
        player.kill('SIGTERM');
        assert.equal(await exited, 0);
        const log = path.join(playerDir, 'state', 'headless-kitchen.log');
        assert.ok(existsSync(log) && /laptop: seek/.test(readFileSync(log, 'utf8')), 'its log says what it was asked');
        const loaded = JSON.parse(readFileSync(modulesFile, 'utf8')) as string[];
        assert.ok(
          loaded.some((file) => file.includes('dbus-next') || file.includes('node_modules')),
          'modules listed',
        );
        assert.deepEqual(
          loaded.filter((file) => /[/\\](blessed|blessed-contrib)[/\\]/.test(file)),
          [],
          'nothing of the screen is loaded',
        );
      } finally {
        player.kill('SIGKILL');
      }
    },
  );
});
