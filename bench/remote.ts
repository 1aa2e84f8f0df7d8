/**
 * Devices you can drive: a key pressed on one player to the sound changing on another, and a
 * player without a screen beside MPD. "kitchen" is `streamtui --headless` playing into a PulseAudio
 * null sink that parec records; "desk" is streamtui in tmux driving it (D in its devices panel),
 * both on one streamd over loopback. Space on the desk (the kitchen stopped) to the kitchen's first
 * 5 ms of sound, the same method as the key-to-sound section, beside ncmpcpp's Enter to MPD's sound
 * in the same run (ncmpcpp is itself a remote of MPD). Then the kitchen's CPU per minute (and
 * streamd's) and RSS playing a queue of the tones, beside MPD alone playing the same queue through
 * the same server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pulseNullSink } from '../test/helpers/audio-env.js';
import { TestClient, records } from '../test/helpers/client.js';
import { selectDevice, Tmux } from '../test/helpers/tmux.js';
import { measure, mpdTimes, pinClock, toneLibrary } from './key-to-sound.js';
import {
  cpuSecondsExact,
  freePort,
  median,
  missingTools,
  rssMiB,
  spawnDaemon,
  streamtuiCommand,
  table,
} from './lib.js';
import { startMpd } from './mpd.js';

const RUNS = 10;
/** Playing this long before CPU is counted (start-up and the heap settling are not playback). */
const WARM_UP_MS = 30_000;
const CPU_SECONDS = 40;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the device's record, as any client lists it, holds `test`. */
async function untilRecord(port: number, name: string, test: (record: Map<string, string>) => boolean): Promise<void> {
  const { client } = await TestClient.connect(port);
  try {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
      const record = records(await client.command('lista dispositivos'), 'device').find(
        (r) => r.get('device') === name,
      );
      if (record && test(record)) return;
    }
    throw new Error(`${name}'s record never held`);
  } finally {
    client.close();
  }
}

export async function remoteBench(): Promise<string> {
  const missing = missingTools(['mpd', 'ncmpcpp', 'mpc', 'lame', 'sox', 'parec']);
  if (missing.length > 0)
    return `Not measured: ${missing.join(', ')} missing (apt-get install mpd ncmpcpp mpc lame sox pulseaudio-utils).`;
  const root = toneLibrary();
  const music = path.join(root, 'music');
  const pulse = await pulseNullSink();
  const recording = await pulse.record();
  const clock = pinClock(recording);
  await sleep(2000); // looks enough to pin the recording's clock down
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-remote-'));
  const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bench-remote-'));
  let kitchen: ChildProcess | undefined;
  let desk: Tmux | undefined;
  const ours = { keys: [] as number[], cpu: 0, daemonCpu: 0, rss: 0 };
  const theirs = { keys: [] as number[], cpu: 0, rss: 0 };
  try {
    const daemon = await spawnDaemon(music, stateDir, await freePort(), ['--udp-port', String(await freePort())]);
    try {
      const [program, ...args] = streamtuiCommand() as [string, ...string[]];
      const flags = ['--headless', '--port', String(daemon.port), '--name', 'kitchen', '--audio', 'pulse'];
      const dirs = ['--cache-dir', path.join(work, 'kitchen-cache'), '--state-dir', path.join(work, 'kitchen-state')];
      kitchen = spawn(program, [...args, ...flags, ...dirs, '--no-calls', '--no-mpris'], {
        env: { ...process.env, ...pulse.env, XDG_CONFIG_HOME: path.join(work, 'kitchen-config') },
        stdio: 'ignore',
      });
      const deskDir = path.join(work, 'desk');
      desk = Tmux.start(
        mkdtempSync(path.join(work, 'desk-')),
        [...streamtuiCommand(), '--port', String(daemon.port), '--name', 'desk', '--audio', 'null', '--no-calls'],
        { XDG_CONFIG_HOME: deskDir, HOME: deskDir },
        110,
        36,
      );
      await desk.waitFor(/Library \([1-9]\d*\)/);
      await untilRecord(daemon.port, 'kitchen', (r) => r.get('control') === 'yes');
      await selectDevice(desk, 'kitchen');
      desk.keys('D');
      await desk.waitFor(/driving kitchen/);
      desk.keys('Tab', 'g', 'Enter'); // the first tone plays on the kitchen, and is cached there
      await untilRecord(daemon.port, 'kitchen', (r) => /^playing tone-00/.test(r.get('status') ?? ''));
      await sleep(3000);
      for (let i = 0; i < RUNS; i++) {
        // Stopped from the desk, then Space on the desk: the kitchen plays its song from the start.
        ours.keys.push(await measure(desk, recording, () => desk?.keys('s'), ['Space']));
        await sleep(500);
      }
      // Every tone queued on the kitchen (20 minutes of them, played through): its CPU and memory playing.
      const { client } = await TestClient.connect(daemon.port);
      try {
        const songs = readdirSync(music).sort();
        const answer = await client.command('remote', 'kitchen', 'play', ...songs);
        if (!answer.ok) throw new Error(`remote play: ${answer.text}`);
      } finally {
        client.close();
      }
      await sleep(WARM_UP_MS);
      const pids = [daemon.child.pid as number, kitchen.pid as number];
      const start = pids.map(cpuSecondsExact);
      await sleep(CPU_SECONDS * 1000);
      const used = pids.map((pid, i) => cpuSecondsExact(pid) - (start[i] as number));
      ours.daemonCpu = ((used[0] as number) / CPU_SECONDS) * 60;
      ours.cpu = (((used[0] as number) + (used[1] as number)) / CPU_SECONDS) * 60;
      ours.rss = rssMiB(kitchen.pid as number);
    } finally {
      desk?.kill();
      kitchen?.kill('SIGTERM');
      await sleep(500);
      await daemon.stop();
    }
    theirs.keys = (await mpdTimes(pulse, recording, music, 0)).times;
    const mpd = await startMpd(music, 'pulse', pulse.env);
    try {
      mpd.mpc('add', '/');
      mpd.mpc('play');
      await sleep(WARM_UP_MS);
      const pid = mpd.process.pid as number;
      const start = cpuSecondsExact(pid);
      await sleep(CPU_SECONDS * 1000);
      theirs.cpu = ((cpuSecondsExact(pid) - start) / CPU_SECONDS) * 60;
      theirs.rss = rssMiB(pid);
    } finally {
      mpd.stop();
    }
  } finally {
    clock.stop();
    await recording.stop();
    pulse.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  const p95 = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] as number;
  return [
    `Space on the desk (streamtui in tmux, driving the kitchen) to the kitchen's first 5 ms of sound (\`streamtui --headless\`, --audio pulse, a null sink recorded by parec), the song cached on the kitchen, ${RUNS} runs; beside it ncmpcpp's Enter to MPD's first sound on the same server in the same run. tmux's delivery of the key and parec's latency are in both alike.`,
    '',
    table(
      ['path', 'median ms', 'p95 ms', 'target'],
      [
        [
          'desk key to kitchen sound (desk -> streamd -> kitchen, loopback)',
          median(ours.keys).toFixed(1),
          p95(ours.keys).toFixed(1),
          '< 100 ms',
        ],
        ['ncmpcpp key to MPD sound', median(theirs.keys).toFixed(1), p95(theirs.keys).toFixed(1), ''],
      ],
    ),
    '',
    `A player without a screen playing the same queue of 40 s MP3 tones (31 songs, played through), CPU over ${CPU_SECONDS} s after ${WARM_UP_MS / 1000} s, and RSS at the end:`,
    '',
    table(
      ['system', 'CPU s per minute', 'of which streamd', 'RSS MiB'],
      [
        ['streamtui --headless + streamd', ours.cpu.toFixed(2), ours.daemonCpu.toFixed(2), ours.rss.toFixed(1)],
        ['MPD 0.23 alone (pulse output)', theirs.cpu.toFixed(2), '', theirs.rss.toFixed(1)],
      ],
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await remoteBench());
