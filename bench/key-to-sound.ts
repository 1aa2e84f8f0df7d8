/**
 * Key to sound, as a person hears it: `tmux send-keys Enter` to the first 5 ms of sound in a
 * PulseAudio null sink's recording (parec on its monitor), streamtui against ncmpcpp + MPD (pulse
 * output) on the same server in the same run. Songs are full-scale tones from their first sample,
 * encoded by Debian's lame, so the onset is the song's start and not a quiet intro.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pulseNullSink, type PulseNullSink, type Recording } from '../test/helpers/audio-env.js';
import { Tmux } from '../test/helpers/tmux.js';
import { closeTui, freePort, median, missingTools, rssMiB, spawnDaemon, table, streamtuiCommand } from './lib.js';
import { startMpd } from './mpd.js';

const RUNS = 10;
/** Plays after the output sat idle: each waits past the sink's idle time (10 s), so fewer (3 made a median too noisy to read: 22 and 28 ms in two runs of the same code). */
const IDLE_RUNS = 7;
const IDLE_MS = 11_000;
const RATE = 44100;
/** A window of this many samples over the threshold is "sound". */
const WINDOW = Math.round(0.005 * RATE);
const THRESHOLD = 2000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * RUNS x 3 + 1 tone songs of 40 s: a new song for every run of a path that must not be cached
 * (the uncached path takes every other song: the one after a song played is fetched ahead as the
 * next song, for gapless).
 */
export function toneLibrary(format: 'mp3' | 'flac' | 'm4a' = 'mp3'): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'key-to-sound-'));
  const wav = path.join(root, 'tone.wav');
  execFileSync('sox', [
    '-n',
    '-r',
    String(RATE),
    '-c',
    '2',
    '-b',
    '16',
    wav,
    'synth',
    '40',
    'sine',
    '440',
    'vol',
    '0.5',
  ]);
  mkdirSync(path.join(root, 'music'));
  for (let i = 0; i < RUNS * 3 + 1; i++) {
    const song = path.join(root, 'music', `tone-${String(i).padStart(2, '0')}.${format}`);
    if (format === 'mp3') execFileSync('lame', ['--quiet', '-b', '128', wav, song]);
    else if (format === 'flac') execFileSync('flac', ['-s', '-o', song, wav]);
    else execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-c:a', 'aac', '-b:a', '192k', song]);
  }
  rmSync(wav);
  return root;
}

/**
 * Seconds from `from` (recording time) to the first 5 ms of sound, read from the recording. The
 * search starts 300 ms before `from` (inside the 600 ms of silence before every key press): a null
 * sink renders ahead of its clock, so a fast onset may come out a little before the key's time.
 */
async function onsetAfter(recording: Recording, from: number, timeoutMs = 3000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const start = Math.max(0, Math.floor((from - 0.3) * RATE) * 4);
  // Only the part searched is read: the whole recording (tens of MB into a run), read every 20 ms,
  // took a core's half from the systems measured.
  const fd = openSync(recording.file, 'r');
  try {
    for (;;) {
      const pcm = Buffer.alloc(Math.max(0, fstatSync(fd).size - start));
      readSync(fd, pcm, 0, pcm.length, start);
      const loud = (at: number): boolean =>
        Math.abs(pcm.readInt16LE(at)) > THRESHOLD || Math.abs(pcm.readInt16LE(at + 2)) > THRESHOLD;
      for (let at = 0; at + 4 * WINDOW <= pcm.length; at += 4) {
        if (!loud(at)) continue;
        // Sound: most of the 5 ms from here is loud (a sine crosses zero twice a cycle).
        let count = 0;
        for (let k = 0; k < WINDOW; k++) if (loud(at + 4 * k)) count++;
        if (count >= WINDOW * 0.7) return (start + at) / 4 / RATE - from;
      }
      if (Date.now() > deadline) throw new Error('no sound came');
      await sleep(20);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The recording's clock: sample k was heard at `start + k / RATE` (wall time, ms). parec writes
 * its file in bursts, so the file's size lags the wall clock by a varying amount; every look at
 * the size bounds the start from above (the last sample written was heard before the look), and
 * the least bound, over many looks, is the start up to parec's own latency, the same for both
 * systems.
 */
export class RecordingClock {
  private start = Infinity;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly recording: Recording) {
    this.timer = setInterval(() => this.look(), 2);
  }

  look(): void {
    const samples = this.recording.seconds() * RATE;
    if (samples > 0) this.start = Math.min(this.start, performance.now() - (1000 * samples) / RATE);
  }

  /** Seconds into the recording of the wall time `ms`. */
  at(ms: number): number {
    return (ms - this.start) / 1000;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

let clock: RecordingClock;

/** The recording whose clock `measure` reads from now on (other sections measure with it too). */
export function pinClock(recording: Recording): RecordingClock {
  clock = new RecordingClock(recording);
  return clock;
}

/** Silence first (the previous song stopped), then `keys` (Enter, or a move and Enter at once), then the onset. */
export async function measure(
  tui: Tmux,
  recording: Recording,
  stop: () => void,
  keys: string[] = ['Enter'],
  silenceMs = 600,
): Promise<number> {
  stop();
  await sleep(silenceMs);
  const sent = performance.now();
  tui.keys(...keys);
  return 1000 * (await onsetAfter(recording, clock.at(sent)));
}

interface PathTimes {
  first: number[];
  uncached: number[];
  rested: number[];
  cached: number[];
  idle: number[];
  rss: number[];
}

/** streamtui in tmux on the daemon at `port`, playing through `pulse`, its cache and log in `dir`. */
function startPlayer(pulse: PulseNullSink, port: number, dir: string): Tmux {
  return Tmux.start(
    dir,
    [
      ...streamtuiCommand(),
      '--port',
      String(port),
      '--cache-dir',
      path.join(dir, 'cache'),
      '--audio',
      'pulse',
      '--name',
      'bench',
    ],
    { ...pulse.env, XDG_CONFIG_HOME: dir, STREAMTUI_LOG: path.join(dir, 'player.log') },
    100,
    30,
  );
}

async function streamtuiTimes(pulse: PulseNullSink, recording: Recording, music: string): Promise<PathTimes> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-key-'));
  const daemon = await spawnDaemon(music, stateDir, await freePort(), ['--udp-port', String(await freePort())]);
  const times: PathTimes = { first: [], uncached: [], rested: [], cached: [], idle: [], rss: [] };
  const start = (dir: string): Tmux => startPlayer(pulse, daemon.port, dir);
  try {
    // First play after start: a fresh player (and cache) each run, Enter on the first song once the library shows.
    for (let i = 0; i < RUNS; i++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-key-'));
      const tui = start(dir);
      try {
        await tui.waitFor(/Library \([1-9]\d*\)/);
        await sleep(1000); // as a person would: the screen is up, then the key
        times.first.push(await measure(tui, recording, () => tui.keys('s')));
      } finally {
        await closeTui(tui, dir);
      }
    }
    // One player: songs not cached (moved to and played at once: j j Enter, every other song), songs
    // the cursor rested on (j, then Enter after the silence), then the first ones again from the cache.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-key-'));
    const tui = start(dir);
    try {
      await tui.waitFor(/Library \([1-9]\d*\)/);
      await sleep(1000);
      const pid = Number(execFileSync('pgrep', ['-f', '-n', `${dir}/cache`], { encoding: 'utf8' }).trim());
      for (let i = 0; i < RUNS; i++) {
        times.uncached.push(await measure(tui, recording, () => tui.keys('s'), ['j', 'j', 'Enter']));
        await sleep(1500); // the whole song downloads meanwhile (loopback): it is cached for the cached path
        times.rss.push(rssMiB(pid));
      }
      for (let i = 0; i < RUNS; i++) {
        tui.keys('j');
        times.rested.push(await measure(tui, recording, () => tui.keys('s')));
        await sleep(500);
        times.rss.push(rssMiB(pid));
      }
      tui.keys('s', 'g');
      for (let i = 0; i < RUNS; i++) {
        tui.keys('j', 'j');
        await sleep(100);
        times.cached.push(await measure(tui, recording, () => tui.keys('s')));
        await sleep(500);
        times.rss.push(rssMiB(pid));
      }
      // The song the cursor is on is cached (the path before played it): Enter on it again after the silence.
      for (let i = 0; i < IDLE_RUNS; i++) {
        times.idle.push(await measure(tui, recording, () => tui.keys('s'), ['Enter'], IDLE_MS));
      }
      const log = readFileSync(path.join(dir, 'player.log'), 'utf8');
      const fetched = (pattern: RegExp): number => log.split('\n').filter((line) => pattern.test(line)).length;
      // The paths are what they say: the uncached songs came from the daemon, the rested ones ahead.
      if (
        fetched(/download of tone-\d+\.mp3 from block 0$/) < RUNS ||
        fetched(/download of tone-\d+\.mp3 block 0 \(ahead\)$/) < RUNS
      ) {
        throw new Error(`the paths were not what they say:\n${log}`);
      }
      tui.keys('s');
    } finally {
      await closeTui(tui, dir);
    }
  } finally {
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return times;
}

/** FLAC or M4A songs: not cached (j j Enter), then the same songs from the cache. */
async function streamtuiFormatTimes(
  pulse: PulseNullSink,
  recording: Recording,
  music: string,
): Promise<{ uncached: number[]; cached: number[] }> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-key-'));
  const daemon = await spawnDaemon(music, stateDir, await freePort(), ['--udp-port', String(await freePort())]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-key-'));
  const times = { uncached: [] as number[], cached: [] as number[] };
  const tui = startPlayer(pulse, daemon.port, dir);
  try {
    await tui.waitFor(/Library \([1-9]\d*\)/);
    await sleep(1000);
    for (let i = 0; i < RUNS; i++) {
      times.uncached.push(await measure(tui, recording, () => tui.keys('s'), ['j', 'j', 'Enter']));
      await sleep(1500); // the whole song downloads meanwhile (loopback)
    }
    tui.keys('s', 'g');
    for (let i = 0; i < RUNS; i++) {
      tui.keys('j', 'j');
      await sleep(100);
      times.cached.push(await measure(tui, recording, () => tui.keys('s')));
      await sleep(500);
    }
    tui.keys('s');
    return times;
  } finally {
    await closeTui(tui, dir);
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function mpdTimes(
  pulse: PulseNullSink,
  recording: Recording,
  music: string,
  idleRuns = IDLE_RUNS,
): Promise<{ times: number[]; idle: number[]; rss: number }> {
  const mpd = await startMpd(music, 'pulse', pulse.env);
  const times: number[] = [];
  const idle: number[] = [];
  try {
    mpd.mpc('add', '/');
    await mpd.ncmpcpp.waitFor(/tone-00/);
    await sleep(1000);
    for (let i = 0; i < RUNS; i++) {
      times.push(await measure(mpd.ncmpcpp, recording, () => mpd.mpc('stop')));
      await sleep(300);
      mpd.ncmpcpp.keys('Down');
    }
    for (let i = 0; i < idleRuns; i++) {
      idle.push(await measure(mpd.ncmpcpp, recording, () => mpd.mpc('stop'), ['Enter'], IDLE_MS));
      await sleep(300);
      mpd.ncmpcpp.keys('Down');
    }
    mpd.mpc('stop');
    return { times, idle, rss: rssMiB(mpd.ncmpcppPid()) };
  } finally {
    mpd.stop();
  }
}

export async function keyToSoundBench(): Promise<string> {
  const missing = missingTools(['mpd', 'ncmpcpp', 'mpc', 'lame', 'sox', 'parec']);
  if (missing.length > 0)
    return `Not measured: ${missing.join(', ')} missing (apt-get install mpd ncmpcpp mpc lame sox pulseaudio-utils).`;
  const root = toneLibrary();
  const pulse = await pulseNullSink();
  const recording = await pulse.record();
  pinClock(recording);
  await sleep(2000); // looks enough to pin the clock down
  try {
    const ours = await streamtuiTimes(pulse, recording, path.join(root, 'music'));
    const theirs = await mpdTimes(pulse, recording, path.join(root, 'music'));
    // The same for FLAC and M4A, each set against MPD playing the same files.
    const formats: Array<{
      name: string;
      ours: { uncached: number[]; cached: number[] };
      theirs: { times: number[] };
    }> = [];
    for (const [format, name, tool] of [
      ['flac', 'FLAC by flac', 'flac'],
      ['m4a', 'M4A (AAC) by ffmpeg', 'ffmpeg'],
    ] as const) {
      if (missingTools([tool]).length > 0) continue;
      const formatRoot = toneLibrary(format);
      try {
        const ourTimes = await streamtuiFormatTimes(pulse, recording, path.join(formatRoot, 'music'));
        formats.push({
          name,
          ours: ourTimes,
          theirs: await mpdTimes(pulse, recording, path.join(formatRoot, 'music'), 0),
        });
      } finally {
        rmSync(formatRoot, { recursive: true, force: true });
      }
    }
    const p90 = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] as number;
    const row = (name: string, values: number[], against = theirs.times): string[] => [
      name,
      median(values).toFixed(1),
      p90(values).toFixed(1),
      (median(values) - median(against)).toFixed(1),
    ];
    return [
      `Enter (tmux send-keys) to the first 5 ms of sound in a PulseAudio null sink's recording (parec on its monitor; the recording's samples placed on the wall clock by the least lag seen between the two over the run), ${RUNS} runs of each path, both systems on the same server in the same run; streamtui plays through --audio pulse (what auto picks with a PulseAudio server: its native protocol, a second held in the server, 20 ms in the device, PulseAudio's clock). tmux's delivery of the key, parec's latency and the null sink rendering ahead of its clock are in every figure alike, so a figure is only meaningful beside the others: the last column is what counts (target: 0 or less; the rows after the output sat idle are set against MPD's after the same silence, ${IDLE_RUNS} runs each). The song the cursor rests on for a quarter of a second has its first block fetched ahead (and so does the first song, the cursor on it since start), so a person who reads a title and presses Enter is on the rested path; the uncached path is Enter in the same key press as the move. The FLAC and M4A rows play the same tone encoded by Debian's flac and by ffmpeg's AAC encoder, each set against MPD playing those files.`,
      '',
      table(
        ['path', 'median ms', 'p90 ms', "median minus ncmpcpp + MPD's, ms"],
        [
          row('streamtui (pulse), first play after start (fresh cache; the cursor rested 1 s)', ours.first),
          row('streamtui (pulse), uncached song (moved to and Enter at once: from the daemon)', ours.uncached),
          row('streamtui (pulse), a song the cursor rested on (first block fetched ahead)', ours.rested),
          row('streamtui (pulse), cached song', ours.cached),
          row('ncmpcpp + MPD 0.23 (pulse output)', theirs.times),
          row(
            `streamtui (pulse), cached song after ${IDLE_MS / 1000} s of silence (the output idle)`,
            ours.idle,
            theirs.idle,
          ),
          row(`ncmpcpp + MPD 0.23, after ${IDLE_MS / 1000} s of silence`, theirs.idle, theirs.idle),
          ...formats.flatMap(({ name, ours: own, theirs: mpd }) => [
            row(`streamtui (pulse), ${name}, uncached song`, own.uncached, mpd.times),
            row(`streamtui (pulse), ${name}, cached song`, own.cached, mpd.times),
            row(`ncmpcpp + MPD 0.23, ${name}`, mpd.times, mpd.times),
          ]),
        ],
      ),
      '',
      'With speaker (ALSA through the pulse plugin, half a second in the device), on 2026-11-21: 17.8, 22.9 and 24.0 ms more than MPD.',
      '',
      `Player RSS (the main process; the native PulseAudio output has no audio process of its own) over ${ours.rss.length} plays in one run: ${ours.rss[0]?.toFixed(1)} MiB after the first, ${ours.rss.at(-1)?.toFixed(1)} MiB after the last, ${Math.max(...ours.rss).toFixed(1)} MiB at most. ncmpcpp: ${theirs.rss.toFixed(1)} MiB.`,
    ].join('\n');
  } finally {
    clock.stop();
    await recording.stop();
    pulse.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await keyToSoundBench());
