/**
 * Listening along: the offset between the leader's and the follower's output over 2 minutes with
 * a seek and a pause in it. Two real streamtui, each in its own room of one PulseAudio server (a
 * sink each), both rooms recorded on one timeline by one parec (left, right); the offset in each
 * 0.5 s is found by cross-correlating the rooms' 1 ms loudness envelopes. Once with the players
 * on the daemon directly (loopback), once through a TCP relay that holds every piece of data a
 * random 0-40 ms (their clock estimates, the leader's records and the follower's fetches all cross it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tcpJitterRelay } from '../test/helpers/tcp-jitter-relay.js';
import { selectDevice, Tmux } from '../test/helpers/tmux.js';
import { burstsWav, roomOffset, twoRooms, type TwoRooms } from '../test/helpers/two-rooms.js';
import { closeTui, freePort, median, spawnDaemon, table, streamtuiCommand } from './lib.js';

/** BENCH_ALONG_MINUTES shortens a run (to try the benchmark itself). */
const MINUTES = Number(process.env['BENCH_ALONG_MINUTES'] ?? 2);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  /** ms from a leader's change reaching the follower to the follower's first sound written (its log). */
  reactions: number[];
  offsets: number[];
  windows: number;
  /** Seconds from each leader change (seek, resume) until the rooms were within 5 ms again. */
  settle: number[];
}

function player(name: string, port: number, env: Record<string, string>, work: string): Tmux {
  const dir = mkdtempSync(path.join(work, `${name}-`));
  const args = [
    '--port',
    String(port),
    '--name',
    name,
    '--cache-dir',
    path.join(dir, 'cache'),
    '--state-dir',
    dir,
    '--audio',
    'pulse',
    '--no-calls',
    '--no-mpris',
  ];
  return Tmux.start(
    dir,
    [...streamtuiCommand(), ...args],
    { ...env, XDG_CONFIG_HOME: dir, STREAMTUI_LOG: path.join(dir, 'player.log') },
    120,
    36,
  );
}

async function measure(rooms: TwoRooms, port: number, work: string): Promise<Run> {
  const recording = await rooms.record();
  const leader = player('leader', port, rooms.lead, work);
  const follower = player('follower', port, rooms.follow, work);
  try {
    await leader.waitFor(/bursts\.wav/);
    leader.keys('Enter');
    await follower.waitFor(/leader\s+playing bursts/, 10_000);
    await selectDevice(follower, 'leader');
    const started = recording.seconds();
    follower.keys('Enter');
    await follower.waitFor(/following leader/);
    const changes: number[] = [];
    const total = MINUTES * 60;
    await sleep((total / 3) * 1000);
    changes.push(recording.seconds());
    leader.keys('.'); // 30 s on
    await sleep((total / 3) * 1000);
    leader.keys('Space');
    await sleep(3000);
    changes.push(recording.seconds());
    leader.keys('Space');
    await sleep((total / 3 - 3) * 1000);
    const pcm = await recording.stop();
    const seconds = pcm.length / 4 / 44100;
    const timeline: Array<[number, number | undefined]> = [];
    for (let at = started; at + 0.9 < seconds; at += 0.5) {
      const offset = roomOffset(pcm, at, 0.5);
      timeline.push([at, offset && offset.strength > 0.5 ? offset.ms : undefined]);
    }
    const settle = changes.map((change) => {
      const back = timeline.find(([at, ms]) => at > change + 0.3 && ms !== undefined && Math.abs(ms) < 5);
      return back ? back[0] - change : Infinity;
    });
    const offsets = timeline.flatMap(([, ms]) => (ms === undefined ? [] : [Math.abs(ms)]));
    // BENCH_ALONG_DEBUG=1: the follower's account of its starts and resyncs, and the offsets seen.
    if (process.env['BENCH_ALONG_DEBUG'])
      process.stderr.write(
        `${follower.logs()}\n${timeline.map(([at, ms]) => `${at.toFixed(1)}: ${ms?.toFixed(1) ?? '-'}`).join('  ')}\n`,
      );
    const reactions = [...follower.logs().matchAll(/first sound written ([\d.]+) ms after the change came/g)].map((m) =>
      Number(m[1]),
    );
    return { reactions, offsets, windows: timeline.length, settle };
  } finally {
    for (const tui of [leader, follower]) await closeTui(tui);
  }
}

export async function listenAlongBench(): Promise<string> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-along-'));
  const library = path.join(work, 'library');
  mkdirSync(library);
  writeFileSync(path.join(library, 'bursts.wav'), burstsWav(MINUTES * 60 + 60, 11));
  const stateDir = path.join(work, 'state');
  mkdirSync(stateDir);
  const daemon = await spawnDaemon(library, stateDir, await freePort(), ['--udp-port', String(await freePort())]);
  const rooms = await twoRooms();
  const rows: Array<Array<string | number>> = [];
  try {
    const add = (name: string, run: Run): void => {
      const sorted = [...run.offsets].sort((a, b) => a - b);
      const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? NaN;
      const reaction =
        run.reactions.length > 0
          ? `${median(run.reactions).toFixed(0)} (${Math.max(...run.reactions).toFixed(0)})`
          : '-';
      rows.push([
        name,
        `${run.offsets.length} of ${run.windows}`,
        median(sorted).toFixed(1),
        p95.toFixed(1),
        (sorted.at(-1) ?? NaN).toFixed(1),
        run.settle.map((s) => (Number.isFinite(s) ? s.toFixed(1) : 'never')).join(' / '),
        reaction,
      ]);
    };
    if (!process.env['BENCH_ALONG_RELAY_ONLY']) add('loopback', await measure(rooms, daemon.port, work));
    const relay = await tcpJitterRelay(daemon.port, 40);
    try {
      add('through a relay adding 0-40 ms of jitter', await measure(rooms, relay.port, work));
    } finally {
      await relay.close();
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\nstreamd said:\n${daemon.log().slice(-3000)}`);
  } finally {
    await daemon.stop();
    rooms.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return [
    `Two streamtui (--audio pulse), each in its own room of one PulseAudio server (a mono remap sink each onto one null sink's left and right), both recorded by one parec on one timeline; the follower follows from the first seconds; over ${MINUTES} minutes the leader seeks 30 s on at a third, and pauses for 3 s at two thirds. The offset in each 0.5 s window: cross-correlation of the rooms' 1 ms loudness envelopes, refined between windows by a parabola (windows with a silent room, the pause, are left out). Settling: from the leader's change until a window within 5 ms again (seek / resume). The change to first sound: from the leader's record reaching the follower (the daemon's push, on loopback within a ms of reaching the daemon) to the follower's first sound written, by the follower's log (target: within 100 ms). Target for the offset: median under 5 ms, p95 under 20 ms.`,
    table(
      [
        'path',
        'windows matched',
        'median |offset| ms',
        'p95 ms',
        'worst ms',
        'settling after seek / resume, s',
        "a leader's change to the follower's first sound, median (worst) ms",
      ],
      rows,
    ),
  ].join('\n\n');
}
