/**
 * Silence at the join of two gapless halves: one 6 s sine cut at 3 s, each half encoded on its own
 * by Debian's lame (its own encoder delay and padding), queued and played through a PulseAudio
 * null sink and recorded by parec; streamtui against MPD (pulse output) on the same server in the
 * same run. Measured per run: the longest stretch of silence between the first sound and the last
 * (1 ms windows), and how much longer than 6 s the sound lasted (a gap, or untrimmed padding,
 * lengthens it; a cut shortens it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pulseNullSink, type PulseNullSink } from '../test/helpers/audio-env.js';
import { toneLibrary, type ToneSong } from '../test/helpers/tones.js';
import { benchPlayer, closeTui, freePort, median, missingTools, queueSongs, spawnDaemon, table } from './lib.js';
import { startMpd } from './mpd.js';

const RUNS = 5;
const RATE = 44100;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Join {
  /** Longest silence between the first and last sound, ms, and where it began (s after the first sound). */
  silenceMs: number;
  silenceAt: number;
  /** Sound's length minus the 6 s of the sine, ms. */
  extraMs: number;
}

/** The join as the recording has it: 1 ms windows (44 samples) quieter than 1,000 RMS are silence. */
export function measureJoin(pcm: Buffer, expectedSeconds: number): Join {
  const step = 44;
  const windows = Math.floor(pcm.length / 4 / step);
  const loud: boolean[] = [];
  for (let k = 0; k < windows; k++) {
    let sum = 0;
    for (let i = 0; i < step; i++) sum += pcm.readInt16LE((k * step + i) * 4) ** 2;
    loud.push(Math.sqrt(sum / step) > 1000);
  }
  const first = loud.indexOf(true);
  const last = loud.lastIndexOf(true);
  let longest = 0;
  let longestEnd = first;
  for (let k = first, run = 0; k <= last; k++) {
    run = loud[k] ? 0 : run + 1;
    if (run > longest) [longest, longestEnd] = [run, k];
  }
  const ms = (count: number): number => (count * step * 1000) / RATE;
  return {
    silenceMs: ms(longest),
    silenceAt: ms(longestEnd - longest + 1 - first) / 1000,
    extraMs: ms(last + 1 - first) - expectedSeconds * 1000,
  };
}

async function streamtuiJoins(
  pulse: PulseNullSink,
  music: string,
  halves: readonly ToneSong[],
  runs = RUNS,
): Promise<Join[]> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-gapless-'));
  const daemon = await spawnDaemon(music, stateDir, await freePort(), ['--udp-port', String(await freePort())]);
  const joins: Join[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-gapless-'));
      const tui = benchPlayer(dir, daemon.port, pulse.env, ['--name', 'bench']);
      try {
        await tui.waitFor(/Second half/);
        await queueSongs(
          tui,
          halves.map((song) => song.title),
        );
        await sleep(500);
        const recording = await pulse.record();
        tui.keys('Enter');
        await tui.waitFor(/Playing/);
        await tui.waitFor(/Stopped/, 20_000);
        await sleep(300);
        joins.push(measureJoin(await recording.stop(), 6));
      } finally {
        await closeTui(tui, dir);
      }
    }
  } finally {
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return joins;
}

async function mpdJoins(pulse: PulseNullSink, music: string, halves: readonly ToneSong[]): Promise<Join[]> {
  const mpd = await startMpd(music, 'pulse', pulse.env);
  const joins: Join[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      mpd.mpc('clear');
      for (const song of halves) mpd.mpc('add', song.file);
      await sleep(500);
      const recording = await pulse.record();
      mpd.mpc('play');
      await sleep(1000);
      for (let i = 0; i < 150 && mpd.mpc('status').includes('[playing]'); i++) await sleep(100);
      await sleep(300);
      joins.push(measureJoin(await recording.stop(), 6));
    }
  } finally {
    mpd.stop();
  }
  return joins;
}

/** `node dist/bench/gapless.js N`: N runs of streamtui alone, each join printed (where a gap was, when one was). */
export async function probeStreamtui(runs: number): Promise<Join[]> {
  const library = toneLibrary();
  const pulse = await pulseNullSink();
  try {
    const joins: Join[] = [];
    for (let i = 0; i < runs; i++)
      joins.push(...(await streamtuiJoins(pulse, library.root, library.gapless.slice(0, 2), 1)));
    return joins;
  } finally {
    pulse.stop();
    library.cleanup();
  }
}

export async function gaplessBench(): Promise<string> {
  const missing = missingTools(['mpd', 'mpc', 'ncmpcpp', 'lame', 'sox', 'pulseaudio', 'parec']);
  const library = toneLibrary();
  const halves = library.gapless.slice(0, 2);
  const pulse = await pulseNullSink();
  try {
    const rows: Array<Array<string | number>> = [];
    const add = (name: string, joins: Join[]): void => {
      const silence = joins.map((j) => j.silenceMs);
      const extra = joins.map((j) => j.extraMs);
      const worst = joins.reduce((a, b) => (b.silenceMs > a.silenceMs ? b : a));
      const where = worst.silenceMs > 0 ? ` (at ${worst.silenceAt.toFixed(2)} s)` : '';
      rows.push([
        name,
        RUNS,
        median(silence).toFixed(1),
        `${worst.silenceMs.toFixed(1)}${where}`,
        median(extra).toFixed(1),
        `${Math.min(...extra).toFixed(1)} to ${Math.max(...extra).toFixed(1)}`,
      ]);
    };
    add('streamtui (pulse)', await streamtuiJoins(pulse, library.root, halves));
    if (missing.length === 0) add('MPD 0.23 (pulse output)', await mpdJoins(pulse, library.root, halves));
    const note = missing.length > 0 ? `\n\nMPD not measured: ${missing.join(', ')} missing.` : '';
    return [
      `One 6 s sine (440 Hz, half scale) cut at 3 s, each half encoded on its own by Debian's lame 3.100 (192 kbit/s CBR: each has its own encoder delay and padding in its Info frame), both queued and played through a PulseAudio null sink, recorded by parec; streamtui and MPD on the same server, one after the other, ${RUNS} runs each. Silence: the longest run of 1 ms windows under 1,000 RMS between the first sound and the last (where it began, from the first sound: the join is at 3.00 s). Length: the sound's length minus 6 s (a gap or untrimmed padding lengthens it). Target: 0 ms of silence, as MPD.`,
      table(
        ['player', 'runs', 'silence at the join, median ms', 'worst ms', 'length minus 6 s, median ms', 'range ms'],
        rows,
      ) + note,
    ].join('\n\n');
  } finally {
    pulse.stop();
    library.cleanup();
  }
}
