/**
 * The player's numbers beside ncmpcpp + MPD: CPU per minute idle (stopped) and playing, player
 * and daemon together, and what the player's memory is; key press to screen update while a block
 * downloads. Key to sound has its own section (key-to-sound.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pulseNullSink } from '../test/helpers/audio-env.js';
import { throttleProxy } from '../test/helpers/throttle-proxy.js';
import { Tmux } from '../test/helpers/tmux.js';
import {
  benchLibrary,
  treeCpuSeconds,
  treeRssMiB,
  freePort,
  median,
  missingTools,
  rssMiB,
  spawnDaemon,
  table,
  streamtuiCommand,
} from './lib.js';
import { startMpd } from './mpd.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Both systems play this long before CPU is counted: start-up and heap settling are not playback.
 * streamd's heap settles about 16 s after its start (V8's memory reducer: two compacting
 * collections, ~75 ms of CPU, once), so 15 s was not enough.
 */
const WARM_UP_MS = 30_000;
/**
 * Idle, longer: the player's heap is reduced once 10-40 s after its start (V8's memory reducer: a
 * compacting collection, ~50 ms of CPU, once), which a window from 30 s caught in 3 runs of 7.
 */
const IDLE_WARM_UP_MS = 60_000;
const ROUNDS = 3;
/** Seconds of CPU time measured, after WARM_UP_MS. */
const CPU_SECONDS = 40;

/** Key press (tmux send-keys) to the screen showing its effect, polled with capture-pane. */
async function keyLatencies(tui: Tmux, presses: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < presses; i++) {
    const before = tui.screen();
    const t0 = performance.now();
    tui.keys(i % 2 ? 'k' : 'j');
    while (tui.screen() === before) {
      if (performance.now() - t0 > 2000) throw new Error('the screen did not change');
    }
    times.push(performance.now() - t0);
    await sleep(50);
  }
  return times;
}

function pidOf(pattern: string): number {
  return Number(execFileSync('pgrep', ['-f', '-n', pattern], { encoding: 'utf8' }).trim());
}

/** What a process's resident memory is made of, MiB, from /proc/<pid>/smaps. */
interface MemoryParts {
  rss: number;
  /** The node (or ncmpcpp) binary's pages: file-backed, shared with every process of it. */
  binary: number;
  /** Other files mapped: shared libraries. */
  libraries: number;
  /** malloc's heap: V8's and Node's C++ side. */
  mallocHeap: number;
  /** Anonymous mappings: V8's JS heap, WebAssembly memories, thread stacks. */
  anonymous: number;
}

function memoryParts(pid: number): MemoryParts {
  const parts: MemoryParts = { rss: 0, binary: 0, libraries: 0, mallocHeap: 0, anonymous: 0 };
  const exe = readlinkSync(`/proc/${pid}/exe`);
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) name = mapping[1] ?? '';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const mib = Number(rss[1]) / 1024;
    parts.rss += mib;
    if (name === exe) parts.binary += mib;
    else if (name === '[heap]') parts.mallocHeap += mib;
    else if (name.startsWith('/')) parts.libraries += mib;
    else parts.anonymous += mib;
  }
  return parts;
}

/**
 * CPU s per minute of player + daemon, idle (the library on screen, stopped) or playing `song`
 * through a PulseAudio null sink of a server of its own; the player's memory at the end.
 */
async function ourCpu(
  root: string,
  song: string,
  seconds: number,
  playing: boolean,
): Promise<{ cpu: number; daemon: number; rss: number; withDecoder: number; memory: MemoryParts }> {
  const sink = await pulseNullSink();
  try {
    return await ourCpuOn(sink.env, root, song, seconds, playing);
  } finally {
    sink.stop();
  }
}

async function ourCpuOn(
  env: Record<string, string>,
  root: string,
  song: string,
  seconds: number,
  playing: boolean,
): Promise<{ cpu: number; daemon: number; rss: number; withDecoder: number; memory: MemoryParts }> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-cpu-'));
  const daemon = await spawnDaemon(root, stateDir, await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bench-tty-'));
  const cacheDir = path.join(dir, 'cache');
  const tui = Tmux.start(
    dir,
    [...streamtuiCommand(), '--port', String(daemon.port), '--cache-dir', cacheDir, '--audio', 'pulse'],
    { ...env, HOME: dir, XDG_CONFIG_HOME: dir },
    100,
    30,
  );
  try {
    await tui.waitFor(/Library \([1-9]\d*\)/);
    if (playing) {
      tui.keys('/');
      tui.type(song);
      tui.keys('Enter', 'Enter');
      await tui.waitFor(/Playing/);
    }
    await sleep(playing ? WARM_UP_MS : IDLE_WARM_UP_MS);
    const pids = [daemon.child.pid as number, pidOf(cacheDir)];
    const cpuOf = (pid: number): number => treeCpuSeconds(pid, playing ? 'ticks' : 'threads');
    const start = pids.map(cpuOf);
    await sleep(seconds * 1000);
    const used = pids.map((pid, i) => cpuOf(pid) - (start[i] as number));
    const memory = memoryParts(pids[1] as number);
    const withDecoder = treeRssMiB(pids[1] as number);
    tui.keys('q');
    return {
      cpu: (((used[0] as number) + (used[1] as number)) / seconds) * 60,
      daemon: ((used[0] as number) / seconds) * 60,
      rss: memory.rss,
      withDecoder,
      memory,
    };
  } finally {
    await tui.close();
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function mpdCpu(
  root: string,
  file: string,
  seconds: number,
  playing: boolean,
): Promise<{ cpu: number; rss: number; mpdRss: number }> {
  const sink = await pulseNullSink();
  let mpd: Awaited<ReturnType<typeof startMpd>> | undefined;
  try {
    mpd = await startMpd(root, 'pulse', sink.env);
    mpd.mpc('add', file);
    if (playing) mpd.mpc('play');
    await sleep(playing ? WARM_UP_MS : IDLE_WARM_UP_MS);
    const pids = [mpd.process.pid as number, mpd.ncmpcppPid()];
    const cpuOf = (pid: number): number => treeCpuSeconds(pid, playing ? 'ticks' : 'threads');
    const start = pids.map(cpuOf);
    await sleep(seconds * 1000);
    const cpu = pids.reduce((sum, pid, i) => sum + cpuOf(pid) - (start[i] as number), 0);
    return { cpu: (cpu / seconds) * 60, rss: rssMiB(pids[1] as number), mpdRss: rssMiB(pids[0] as number) };
  } finally {
    mpd?.stop();
    sink.stop();
  }
}

export async function playerBench(): Promise<string> {
  const root = benchLibrary(20, 200);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-player-'));
  const daemon = await spawnDaemon(root, stateDir, await freePort());
  const out: string[] = [];
  const p95 = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] as number;
  try {
    const slow = await throttleProxy(daemon.port, 250_000); // 2 Mbit/s: the download runs for ~13 s
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bench-keys-'));
    const tui = Tmux.start(
      dir,
      [...streamtuiCommand(), '--port', String(slow.port), '--cache-dir', path.join(dir, 'cache'), '--audio', 'null'],
      { HOME: dir, XDG_CONFIG_HOME: dir },
      100,
      30,
    );
    try {
      await tui.waitFor(/Library \([1-9]\d*\)/);
      tui.keys('Enter');
      await tui.waitFor(/Playing/);
      const keys = await keyLatencies(tui, 20);
      out.push(
        'Key press to screen update while a block downloads (2 Mbit/s link) and decodes: `tmux send-keys` to `capture-pane` showing the change, 20 presses (includes tmux itself).',
        '',
        table(['median ms', 'p95 ms', 'target'], [[median(keys).toFixed(1), p95(keys).toFixed(1), '< 50 ms']]),
        '',
      );
    } finally {
      await tui.close();
      await slow.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }

  const missing = missingTools(['mpd', 'ncmpcpp', 'mpc']);
  if (missing.length > 0) {
    out.push(
      `CPU against MPD + ncmpcpp: not measured, ${missing.join(', ')} missing (apt-get install mpd ncmpcpp mpc).`,
    );
    return out.join('\n');
  }
  const file = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.mp3'))
    .sort()[0] as string;
  // A minute's CPU of a mostly idle process moves by a third from run to run (the daemon's most):
  // each figure is the median of ROUNDS windows, the two systems taking turns.
  const seconds = CPU_SECONDS;
  const rows: Array<Array<string | number>> = [];
  const range = (values: number[]): string => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
  // The real output (a PulseAudio server, as a listener has): the null output's figures, which
  // this table had before, are in the notes of docs/benchmarks.md.
  const memories: MemoryParts[] = [];
  for (const playing of [false, true]) {
    const ours: Array<{ cpu: number; daemon: number; rss: number; withDecoder: number; memory: MemoryParts }> = [];
    const theirs: Array<{ cpu: number; rss: number; mpdRss: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await ourCpu(root, path.basename(file, '.mp3'), seconds, playing));
      theirs.push(await mpdCpu(root, file, seconds, playing));
    }
    if (playing) memories.push(...ours.map((run) => run.memory));
    const what = playing ? 'playing' : 'idle (stopped, library on screen)';
    const ourCpuMedian = median(ours.map((run) => run.cpu));
    const theirCpuMedian = median(theirs.map((run) => run.cpu));
    const ourRss = median(ours.map((run) => run.rss));
    const ourWithDecoder = median(ours.map((run) => run.withDecoder));
    const theirRss = median(theirs.map((run) => run.rss));
    const mpdRss = median(theirs.map((run) => run.mpdRss));
    rows.push([
      `streamtui + streamd, ${what}`,
      ourCpuMedian.toFixed(2),
      range(ours.map((run) => run.cpu)),
      median(ours.map((run) => run.daemon)).toFixed(2),
      ourRss.toFixed(1),
      ourWithDecoder.toFixed(1),
    ]);
    rows.push([
      `ncmpcpp + MPD, ${what}`,
      theirCpuMedian.toFixed(2),
      range(theirs.map((run) => run.cpu)),
      '',
      theirRss.toFixed(1),
      (theirRss + mpdRss).toFixed(1),
    ]);
    rows.push([
      `ratio, ${what} (target at most 1.0)`,
      (ourCpuMedian / Math.max(theirCpuMedian, 0.005)).toFixed(2),
      '',
      '',
      (ourRss / theirRss).toFixed(1),
      (ourWithDecoder / (theirRss + mpdRss)).toFixed(2),
    ]);
  }
  out.push(
    `CPU per minute, player and daemon together, of the same 200 s MP3 played through a PulseAudio null sink (a server of its own for each run), measured over ${seconds} s after ${WARM_UP_MS / 1000} s (idle: after ${IDLE_WARM_UP_MS / 1000} s, past the player's one heap reduction after its start) (CPU time of each process, idle of its threads to the ns, playing in clock ticks, which keep what ended threads used; and of the processes it started: the player's decoders, mpg123 for this MP3 when it is installed), the median of ${ROUNDS} runs each (the two systems taking turns): streamtui (in tmux, --audio pulse, started as its command starts it) + streamd, against ncmpcpp (in tmux) + MPD 0.23 (pulse output); idle, then playing. Memory at the end: the player's RSS (streamtui's process; ncmpcpp), and the RSS of what decodes and plays as well (streamtui and its decoder process with its spare; ncmpcpp + MPD).`,
    '',
    table(
      [
        'system',
        'CPU s per minute (median)',
        'range',
        'of which streamd',
        'player RSS MiB',
        'player + decoder/output RSS MiB',
      ],
      rows,
    ),
    '',
    `What the player's RSS is made of, playing (MiB, the median of the ${memories.length} runs, from /proc/<pid>/smaps): the node binary's pages (file-backed, shared with every node process) ${median(memories.map((m) => m.binary)).toFixed(1)}; other libraries ${median(memories.map((m) => m.libraries)).toFixed(1)}; malloc's heap (V8's and Node's C++ side) ${median(memories.map((m) => m.mallocHeap)).toFixed(1)}; anonymous mappings (V8's JS heap, WebAssembly memories, stacks) ${median(memories.map((m) => m.anonymous)).toFixed(1)}.`,
  );
  return out.join('\n');
}

/**
 * CPU per minute playing a FLAC (the reference encoder's, CD quality, music-like sound), player and
 * daemon together beside ncmpcpp + MPD, as the Player section measures the MP3: a section of its
 * own, so that it can be run alone.
 */
export async function playerFlacBench(): Promise<string> {
  const missing = missingTools(['mpd', 'ncmpcpp', 'mpc', 'flac', 'sox']);
  if (missing.length > 0) return `Not measured: ${missing.join(', ')} missing.`;
  const flacRoot = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-flac-'));
  const range = (values: number[]): string => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
  try {
    mkdirSync(path.join(flacRoot, 'music'));
    const wav = path.join(flacRoot, 'source.wav');
    execFileSync('sox', [
      ...['-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '200'],
      ...['sine', '100-4000', 'pinknoise', 'vol', '0.3'],
    ]);
    execFileSync('flac', ['-s', '-o', path.join(flacRoot, 'music', 'flacsong.flac'), wav]);
    rmSync(wav);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push((await ourCpu(path.join(flacRoot, 'music'), 'flacsong', CPU_SECONDS, true)).cpu);
      theirs.push((await mpdCpu(path.join(flacRoot, 'music'), 'flacsong.flac', CPU_SECONDS, true)).cpu);
    }
    return [
      `CPU per minute, player and daemon together, playing a 200 s FLAC by flac (16-bit, 44.1 kHz) through a PulseAudio null sink, measured as the Player section measures the MP3 (${CPU_SECONDS} s after ${WARM_UP_MS / 1000} s, the median of ${ROUNDS} runs, the two systems taking turns).`,
      '',
      table(
        ['system', 'CPU s per minute (median)', 'range'],
        [
          ['streamtui + streamd, playing FLAC', median(ours).toFixed(2), range(ours)],
          ['ncmpcpp + MPD 0.23, playing FLAC', median(theirs).toFixed(2), range(theirs)],
          ['ratio (target at most 1.0)', (median(ours) / Math.max(median(theirs), 0.005)).toFixed(2), ''],
        ],
      ),
    ].join('\n');
  } finally {
    rmSync(flacRoot, { recursive: true, force: true });
  }
}
