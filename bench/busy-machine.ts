/**
 * Gaps on a busy machine: one minute of a continuous 440 Hz tone, cut into four songs of 15 s
 * each encoded on their own by Debian's lame (three gapless joins), queued and played through a
 * PulseAudio null sink and recorded by parec, while two CPU-bound processes and a writer that
 * fsyncs run beside the player at the same priority. streamtui over TCP (nothing cached), from
 * its cache, and over UDP; MPD on the same server in the same run. Counted: silent 10 ms windows
 * between the first sound and the last, and the longest silence.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pulseNullSink, type PulseNullSink } from '../test/helpers/audio-env.js';
import type { Tmux } from '../test/helpers/tmux.js';
import { lameSong, sineWav } from '../test/helpers/tones.js';
import { benchPlayer, closeTui, freePort, missingTools, queueSongs, spawnDaemon, table } from './lib.js';
import { startMpd } from './mpd.js';

const SONGS = 4;
const SONG_SECONDS = 15;
const RATE = 44100;
const TITLES = ['Busy one', 'Busy two', 'Busy three', 'Busy four'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Gaps {
  silentWindows: number;
  longestMs: number;
  /** Where the longest began, seconds after the first sound. */
  longestAt: number;
  seconds: number;
}

/** Silent 10 ms windows (left channel under 1,000 RMS; the tone is at 11,600) between the first sound and the last. */
export function measureGaps(pcm: Buffer): Gaps {
  const step = RATE / 100;
  const loud: boolean[] = [];
  for (let k = 0; (k + 1) * step * 4 <= pcm.length; k++) {
    let sum = 0;
    for (let i = 0; i < step; i++) sum += pcm.readInt16LE((k * step + i) * 4) ** 2;
    loud.push(Math.sqrt(sum / step) > 1000);
  }
  const first = loud.indexOf(true);
  const last = loud.lastIndexOf(true);
  let silent = 0;
  let longest = 0;
  let longestEnd = first;
  for (let k = first, run = 0; k <= last; k++) {
    if (loud[k]) run = 0;
    else {
      silent++;
      run++;
      if (run > longest) [longest, longestEnd] = [run, k];
    }
  }
  return {
    silentWindows: silent,
    longestMs: longest * 10,
    longestAt: (longestEnd - longest + 1 - first) / 100,
    seconds: (last + 1 - first) / 100,
  };
}

/** The minute of tone as four songs, each encoded by lame on its own. */
function library(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'busy-machine-'));
  const scratch = path.join(root, 'scratch');
  mkdirSync(scratch);
  const whole = path.join(scratch, 'whole.wav');
  sineWav(whole, 440, SONGS * SONG_SECONDS);
  for (let i = 0; i < SONGS; i++) {
    const part = path.join(scratch, `${i}.wav`);
    execFileSync('sox', [whole, part, 'trim', String(i * SONG_SECONDS), String(SONG_SECONDS)]);
    lameSong(part, path.join(root, 'music'), `Busy/0${i + 1} ${TITLES[i]}.mp3`, {
      title: TITLES[i] as string,
      artist: 'Sine',
      album: 'Busy',
      track: i + 1,
    });
  }
  rmSync(scratch, { recursive: true, force: true });
  return root;
}

/** Two CPU-bound processes and a writer that fsyncs 4 MiB at a time, at the player's priority. */
function busyMachine(dir: string): () => void {
  const hogs: ChildProcess[] = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const file = path.join(dir, 'fsync-writer.bin');
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('fs'); const data = Buffer.alloc(4 << 20, 7);
       for (;;) { const fd = fs.openSync(${JSON.stringify(file)}, 'w'); fs.writeSync(fd, data); fs.fsyncSync(fd); fs.closeSync(fd); }`,
    ],
    { stdio: 'ignore' },
  );
  return () => {
    for (const child of [...hogs, writer]) child.kill('SIGKILL');
    rmSync(file, { force: true });
  };
}

async function streamtuiRuns(pulse: PulseNullSink, music: string, work: string): Promise<Array<[string, Gaps]>> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-busy-'));
  const udpPort = await freePort();
  const daemon = await spawnDaemon(music, stateDir, await freePort(), ['--udp-port', String(udpPort)]);
  const results: Array<[string, Gaps]> = [];
  const start = (transport: 'tcp' | 'udp'): [Tmux, string] => {
    const dir = mkdtempSync(path.join(work, `streamtui-${transport}-`));
    const extra = ['--udp-port', String(udpPort), '--transport', transport, '--name', `bench-${transport}`];
    return [benchPlayer(dir, daemon.port, pulse.env, extra), dir];
  };
  const queueAll = async (tui: Tmux): Promise<void> => {
    await tui.waitFor(/Busy four/);
    await queueSongs(tui, TITLES);
  };
  const playQueue = async (tui: Tmux, name: string): Promise<void> => {
    await sleep(1000);
    const stopLoad = busyMachine(work);
    try {
      await sleep(1000);
      const recording = await pulse.record();
      tui.keys('g', 'Enter');
      await tui.waitFor(/Playing/);
      await tui.waitFor(/Stopped/, (SONGS * SONG_SECONDS + 30) * 1000);
      await sleep(300);
      results.push([name, measureGaps(await recording.stop())]);
    } finally {
      stopLoad();
    }
  };
  try {
    const [tcp, tcpDir] = start('tcp');
    try {
      await queueAll(tcp);
      await playQueue(tcp, 'streamtui over TCP (nothing cached)');
      await playQueue(tcp, 'streamtui from its cache');
    } finally {
      await closeTui(tcp, tcpDir);
    }
    const [udp, udpDir] = start('udp');
    try {
      await queueAll(udp);
      await playQueue(udp, 'streamtui over UDP (nothing cached)');
    } finally {
      await closeTui(udp, udpDir);
    }
  } finally {
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return results;
}

async function mpdRun(pulse: PulseNullSink, music: string, work: string): Promise<Gaps> {
  const mpd = await startMpd(music, 'pulse', pulse.env);
  try {
    mpd.mpc('clear');
    for (const [i, title] of TITLES.entries()) mpd.mpc('add', `Busy/0${i + 1} ${title}.mp3`);
    await sleep(1000);
    const stopLoad = busyMachine(work);
    try {
      await sleep(1000);
      const recording = await pulse.record();
      mpd.mpc('play');
      await sleep(2000);
      const deadline = Date.now() + (SONGS * SONG_SECONDS + 30) * 1000;
      while (mpd.mpc('status').includes('[playing]') && Date.now() < deadline) await sleep(200);
      await sleep(300);
      return measureGaps(await recording.stop());
    } finally {
      stopLoad();
    }
  } finally {
    mpd.stop();
  }
}

export async function busyMachineBench(): Promise<string> {
  const missing = missingTools(['mpd', 'mpc', 'lame', 'sox', 'pulseaudio', 'parec']);
  const root = library();
  const music = path.join(root, 'music');
  const pulse = await pulseNullSink();
  try {
    const rows: Array<Array<string | number>> = [];
    const add = (name: string, gaps: Gaps): void => {
      rows.push([
        name,
        gaps.seconds.toFixed(2),
        gaps.silentWindows,
        gaps.longestMs > 0 ? `${gaps.longestMs} (at ${gaps.longestAt.toFixed(2)} s)` : '0',
      ]);
    };
    for (const [name, gaps] of await streamtuiRuns(pulse, music, root)) add(name, gaps);
    if (missing.length === 0) add('MPD 0.23 (pulse output)', await mpdRun(pulse, music, root));
    const note = missing.length > 0 ? `\n\nMPD not measured: ${missing.join(', ')} missing.` : '';
    return [
      `One minute of a 440 Hz sine at half scale, cut into four songs of 15 s, each encoded on its own by Debian's lame (192 kbit/s: three gapless joins, at 15, 30 and 45 s), queued and played through a PulseAudio null sink and recorded by parec on its monitor, while two CPU-bound node processes and a writer that fsyncs 4 MiB at a time run beside the player at the same priority (on 2 cores). Silent windows: 10 ms windows under 1,000 RMS between the first sound and the last. Target: none for streamtui, as for MPD.`,
      table(['player', 'sound, s', 'silent 10 ms windows', 'longest silence, ms'], rows) + note,
    ].join('\n\n');
  } finally {
    pulse.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await busyMachineBench());
