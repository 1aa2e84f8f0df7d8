/** Shared by the benchmarks: a large generated library, a daemon process, and /proc readings. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STREAMD, streamtuiCommand } from '../test/helpers/cli.js';
import { Tmux } from '../test/helpers/tmux.js';
import { DAEMON_RUNTIME } from '../daemon/service.js';

export { freePort } from '../test/helpers/cli.js';
export { streamtuiCommand } from '../test/helpers/cli.js';
import { encodeWav } from '../daemon/demo/encode.js';
import { id3v2Tag } from '../daemon/demo/id3-writer.js';
import { synthesize } from '../daemon/demo/synth.js';

/**
 * `count` MP3 files of `seconds` each, copies of one lame encoding with distinct ID3v2 tags, in
 * Artist/Album folders. Cached in the temp folder between runs.
 */
export function benchLibrary(count: number, seconds: number): string {
  const dir = path.join(os.tmpdir(), `streamd-bench-library-${count}x${seconds}s`);
  if (existsSync(path.join(dir, '.complete'))) return path.join(dir, 'music');
  const building = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-building-'));
  const wav = path.join(building, 'source.wav');
  writeFileSync(
    wav,
    encodeWav(synthesize({ title: 'bench', seconds, bpm: 120, root: 60, minor: false, seed: 5 }, 44100, 2)),
  );
  execFileSync('lame', ['--quiet', '-b', '128', wav, path.join(building, 'source.mp3')]);
  const audio = readFileSync(path.join(building, 'source.mp3'));
  rmSync(wav);
  const root = path.join(building, 'music');
  for (let i = 0; i < count; i++) {
    const artist = `Artist ${String(i % 50).padStart(2, '0')}`;
    const album = `Album ${String(Math.floor(i / 10) % 20).padStart(2, '0')}`;
    const folder = path.join(root, artist, album);
    mkdirSync(folder, { recursive: true });
    const tag = id3v2Tag({ title: `Song ${i}`, artist, album, track: String((i % 10) + 1) });
    writeFileSync(path.join(folder, `${String(i).padStart(4, '0')} Song ${i}.mp3`), Buffer.concat([tag, audio]));
  }
  rmSync(path.join(building, 'source.mp3'));
  writeFileSync(path.join(building, '.complete'), '');
  renameSync(building, dir);
  return path.join(dir, 'music');
}

export interface DaemonProcess {
  child: ChildProcess;
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/** `streamd run` as its own process; resolves once the catalog is loaded. */
export async function spawnDaemon(
  music: string,
  stateDir: string,
  port: number,
  extra: string[] = [],
  options: { measureLoudness?: boolean } = {},
): Promise<DaemonProcess> {
  // Every benchmark client comes from 127.0.0.1: the per-address limit is lifted (a config file in `extra` may set it).
  const child = spawn(
    process.execPath,
    [
      ...DAEMON_RUNTIME.nodeFlags,
      STREAMD,
      'run',
      '--music',
      music,
      '--state-dir',
      stateDir,
      '--port',
      String(port),
      '--max-connections-per-address',
      '100000',
      // The loudness pass runs once per library, after its first scan: what is measured here is
      // the daemon after it (the pass has a benchmark of its own, bench/loudness.ts).
      ...(options.measureLoudness ? [] : ['--no-measure-loudness']),
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...DAEMON_RUNTIME.env } },
  );
  let log = '';
  child.stderr?.on('data', (chunk) => (log += chunk));
  const deadline = Date.now() + 300_000;
  while (!/library: \d+ songs/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not come up:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    child,
    port,
    log: () => log,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** RSS of a process and of every process under it, in MiB (a process gone meanwhile counts 0). */
export function treeRssMiB(pid: number): number {
  let children: number[] = [];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
    return rssMiB(pid) + children.reduce((sum, child) => sum + treeRssMiB(child), 0);
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: 100 a second on Linux
}

/**
 * CPU seconds a process's live threads have run, to the nanosecond (/proc/<pid>/task/<tid>/schedstat):
 * for idle figures of a few hundredths of a second a minute, where clock ticks (10 ms) are too
 * coarse. A thread that ended meanwhile drops out of the sum: for long-lived processes only.
 */
export function cpuSecondsExact(pid: number): number {
  return sumOverThreads(pid, (task) => Number(readFileSync(`${task}/schedstat`, 'utf8').split(' ')[0])) / 1e9;
}

/**
 * CPU seconds of a process and of every process it started, and what the children that ended have
 * used (each live process's cutime and cstime: clock ticks), so that between two readings a child
 * that ended meanwhile counts whole: the player's decoders (mpg123, flac, ffmpeg, a process a
 * song) are part of what it costs. `threads`: each live process's live threads, to the ns (as
 * cpuSecondsExact), for idle figures; a thread that ends between the readings drops out of the
 * sum (a daemon's picture worker done with a cover read a negative streamd figure once).
 * `ticks`: each process's own utime and stime, which keep what its ended threads used, for busy
 * figures, where ticks (10 ms) are fine enough.
 */
export function treeCpuSeconds(pid: number, precision: 'threads' | 'ticks' = 'threads'): number {
  return treeOf([pid]).reduce((sum, each) => {
    try {
      const stat = readFileSync(`/proc/${each}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ended = (Number(fields[13]) + Number(fields[14])) / 100;
      const own = precision === 'ticks' ? (Number(fields[11]) + Number(fields[12])) / 100 : cpuSecondsExact(each);
      return sum + own + ended;
    } catch {
      return sum; // ended meanwhile: in its parent's cutime at the next reading
    }
  }, 0);
}

/** `read` of each live thread of `pid`, summed (a thread that ends meanwhile counts 0); throws when the process is gone. */
function sumOverThreads(pid: number, read: (taskDir: string) => number): number {
  let sum = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += read(`/proc/${pid}/task/${task}`);
    } catch {
      // ended meanwhile
    }
  }
  return sum;
}

/** CPU time and wake-ups of a process, summed over its live threads. */
export interface ProcessUsage {
  command: string;
  /** CPU seconds (schedstat, ns). */
  seconds: number;
  /** Voluntary context switches: each a sleep ended by a wake-up. */
  wakeups: number;
}

/** Usage of each of `pids` (those that ended meanwhile are left out). */
export function usageOf(pids: readonly number[]): Map<number, ProcessUsage> {
  const out = new Map<number, ProcessUsage>();
  for (const pid of pids) {
    try {
      const command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const wakeups = sumOverThreads(pid, (task) =>
        Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`${task}/status`, 'utf8'))?.[1] ?? 0),
      );
      out.set(pid, { command, seconds: cpuSecondsExact(pid), wakeups });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** Per command, % of a core and wake-ups a second between two `usageOf` readings `seconds` apart. */
export function usageBetween(
  before: Map<number, ProcessUsage>,
  after: Map<number, ProcessUsage>,
  seconds: number,
): Map<string, { percent: number; wakeupsPerSecond: number }> {
  const out = new Map<string, { percent: number; wakeupsPerSecond: number }>();
  for (const [pid, now] of after) {
    const then = before.get(pid) ?? { seconds: 0, wakeups: 0 };
    const sum = out.get(now.command) ?? { percent: 0, wakeupsPerSecond: 0 };
    sum.percent += (100 * (now.seconds - then.seconds)) / seconds;
    sum.wakeupsPerSecond += (now.wakeups - then.wakeups) / seconds;
    out.set(now.command, sum);
  }
  return out;
}

/** `pids` and all their descendants (children such as pacat, parec and the audio child), from /proc. */
export function treeOf(pids: readonly number[]): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set(pids);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents) if (tree.has(parent) && !tree.has(pid)) grew = tree.add(pid) !== undefined;
  }
  return [...tree];
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The tools of `names` that are not on the PATH. */
export function missingTools(names: readonly string[]): string[] {
  return names.filter((tool) => {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

/** Quits a player in tmux as a person would (q), then takes its terminal and, when given, its folder away. */
export async function closeTui(tui: Tmux, dir?: string): Promise<void> {
  tui.keys('q');
  await new Promise((resolve) => setTimeout(resolve, 300));
  tui.kill();
  if (!dir) return;
  // The player, hung up on, still writes its queue and cache into `dir` as it goes: gone first.
  for (const deadline = Date.now() + 5000; Date.now() < deadline && processesNaming(dir);)
    await new Promise((resolve) => setTimeout(resolve, 50));
  rmSync(dir, { recursive: true, force: true });
}

/** Whether a process has `text` in its command line (pgrep's answer). */
function processesNaming(text: string): boolean {
  try {
    execFileSync('pgrep', ['-f', text], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * streamtui in tmux (120 x 36) for a benchmark, on the daemon at `port`: its cache, state and
 * settings in `dir`, PulseAudio output, no calls, no MPRIS; `env` picks the sound server (and a
 * room), `extra` adds flags (a name, a transport).
 */
export function benchPlayer(dir: string, port: number, env: Record<string, string>, extra: string[] = []): Tmux {
  const args = [
    '--port',
    String(port),
    '--cache-dir',
    path.join(dir, 'cache'),
    '--state-dir',
    dir,
    '--audio',
    'pulse',
    '--no-calls',
    '--no-mpris',
    ...extra,
  ];
  return Tmux.start(
    dir,
    [...streamtuiCommand(), ...args],
    { ...env, XDG_CONFIG_HOME: dir, STREAMTUI_LOG: path.join(dir, 'player.log') },
    120,
    36,
  );
}

/** Each title found by search (it must match that song alone) and added to the queue, in order; then the queue panel, at its top. */
export async function queueSongs(tui: Tmux, titles: readonly string[]): Promise<void> {
  for (const [i, title] of titles.entries()) {
    tui.keys('/');
    tui.type(title);
    await tui.waitFor(new RegExp(`Library: /${title} \\(1\\)`));
    tui.keys('Enter', 'a');
    await tui.waitFor(new RegExp(`Queue \\(${i + 1}[,)]`));
  }
  tui.keys('Tab', 'g');
}
