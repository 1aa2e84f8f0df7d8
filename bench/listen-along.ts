/**
 * Listening along: the offset between the leader's and the follower's output over 2 minutes with
 * a seek, a pause, the follower following again and a new song in it. Two real streamtui, each in its own room of one PulseAudio server (a
 * sink each), both rooms recorded on one timeline by one parec (left, right); the offset in each
 * 0.5 s is found by cross-correlating the rooms' 1 ms loudness envelopes. Once with the players
 * on the daemon directly (loopback), once through a TCP relay that holds every piece of data a
 * random 0-40 ms (their clock estimates, the leader's records and the follower's fetches all cross it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tcpJitterRelay } from '../test/helpers/tcp-jitter-relay.js';
import { selectDevice, type Tmux } from '../test/helpers/tmux.js';
import { burstsWav, roomOffset, twoRooms, type TwoRooms } from '../test/helpers/two-rooms.js';
import { benchPlayer, closeTui, freePort, median, spawnDaemon, table } from './lib.js';

/** BENCH_ALONG_MINUTES shortens a run (to try the benchmark itself). */
const MINUTES = Number(process.env['BENCH_ALONG_MINUTES'] ?? 2);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  /** ms from a leader's change reaching the follower to the follower's first sound written (its log). */
  reactions: number[];
  offsets: number[];
  windows: number;
  /** Seconds from each change after the start until the rooms were within 5 ms again. */
  settle: number[];
  /** Each transition's median |offset|, ms, over the windows until the next. */
  landed: number[];
}

function player(name: string, port: number, env: Record<string, string>, work: string): Tmux {
  return benchPlayer(mkdtempSync(path.join(work, `${name}-`)), port, env, ['--name', name]);
}

/** The leader's (or the follower's) changes over a run, in order, each a share of the run's length. */
const TRANSITIONS = ['start', 'seek', 'resume', 'following again', 'new song'] as const;

async function measure(rooms: TwoRooms, port: number, work: string): Promise<Run> {
  const recording = await rooms.record();
  const leader = player('leader', port, rooms.lead, work);
  const follower = player('follower', port, rooms.follow, work);
  try {
    await leader.waitFor(/bursts-b\.wav/);
    leader.keys('g', 'Enter');
    await follower.waitFor(/leader\s+▶ bursts-a/, 10_000);
    await selectDevice(follower, 'leader');
    const changes: number[] = [recording.seconds()];
    follower.keys('Enter');
    await follower.waitFor(/following leader/);
    const step = (MINUTES * 60) / TRANSITIONS.length;
    for (const transition of TRANSITIONS.slice(1)) {
      await sleep(step * 1000);
      if (transition === 'resume') {
        leader.keys('Space');
        await sleep(3000);
      }
      changes.push(recording.seconds());
      if (transition === 'seek')
        leader.keys('.'); // 30 s on
      else if (transition === 'resume') leader.keys('Space');
      else if (transition === 'following again')
        follower.keys('Enter'); // the leader still selected in its devices panel
      else leader.keys('j', 'Enter'); // the other song, the cursor on the first
    }
    await sleep(step * 1000);
    const pcm = await recording.stop();
    const seconds = pcm.length / 4 / 44100;
    const timeline: Array<[number, number | undefined]> = [];
    for (let at = changes[0] as number; at + 0.9 < seconds; at += 0.5) {
      const offset = roomOffset(pcm, at, 0.5);
      timeline.push([at, offset && offset.strength > 0.5 ? offset.ms : undefined]);
    }
    const settle = changes.slice(1).map((change) => {
      const back = timeline.find(([at, ms]) => at > change + 0.3 && ms !== undefined && Math.abs(ms) < 5);
      return back ? back[0] - change : Infinity;
    });
    // Each transition: the median |offset| over the windows from it to the next.
    const landed = changes.map((change, i) => {
      const next = changes[i + 1] ?? Infinity;
      const within = timeline.flatMap(([at, ms]) =>
        at >= change && at < next && ms !== undefined ? [Math.abs(ms)] : [],
      );
      return within.length > 0 ? median(within) : NaN;
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
    return { reactions, offsets, windows: timeline.length, settle, landed };
  } finally {
    for (const tui of [leader, follower]) await closeTui(tui);
  }
}

export async function listenAlongBench(): Promise<string> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-along-'));
  const library = path.join(work, 'library');
  mkdirSync(library);
  writeFileSync(path.join(library, 'bursts-a.wav'), burstsWav(MINUTES * 60 + 60, 11));
  writeFileSync(path.join(library, 'bursts-b.wav'), burstsWav(MINUTES * 60, 23));
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
        run.landed.map((ms) => ms.toFixed(1)).join(' / '),
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
    `Two streamtui (--audio pulse), each in its own room of one PulseAudio server (a mono remap sink each onto one null sink's left and right), both recorded by one parec on one timeline; the follower follows from the first seconds; over ${MINUTES} minutes, at each fifth: the leader seeks 30 s on, pauses for 3 s and resumes, the follower presses Enter on the leader again (following again), the leader plays another song. The offset in each 0.5 s window: cross-correlation of the rooms' 1 ms loudness envelopes, refined between windows by a parabola (windows with a silent room, the pause, are left out). After each transition: the median of the windows from it to the next (target: under 5 ms). Settling: from the change until a window within 5 ms again. The change to first sound: from the leader's record reaching the follower (the daemon's push, on loopback within a ms of reaching the daemon) to the follower's first sound written, by the follower's log (target: within 100 ms). Target for the offset: median under 5 ms, p95 under 20 ms.`,
    table(
      [
        'path',
        'windows matched',
        'median |offset| ms',
        'p95 ms',
        'worst ms',
        `median |offset| after each: ${TRANSITIONS.join(' / ')}, ms`,
        'settling after each but the start, s',
        "a leader's change to the follower's first sound, median (worst) ms",
      ],
      rows,
    ),
  ].join('\n\n');
}
