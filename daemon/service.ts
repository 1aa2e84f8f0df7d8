/**
 * Running as a service: the pid file, telling a live daemon from a stale pid file, starting in
 * the background and stopping. The state dir holds `streamd.pid` and `streamd.log`.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const pidFileOf = (stateDir: string): string => path.join(stateDir, 'streamd.pid');
export const logFileOf = (stateDir: string): string => path.join(stateDir, 'streamd.log');

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** A daemon that exited but is not yet reaped by its new parent is gone for our purposes. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** A live pid that is not streamd (the pid was reused after a crash) is a stale pid file too. */
function isStreamd(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('streamd') || cmdline.includes('daemon/cli.js');
  } catch {
    return true; // no /proc: trust the pid
  }
}

export interface RunningDaemon {
  pid: number;
  /** `host:port` it listens on, as it wrote it (empty in a pid file of an older version). */
  address: string;
}

/** The running daemon, or undefined (a stale pid file is removed). The pid file: pid, then address. */
export async function runningDaemon(stateDir: string): Promise<RunningDaemon | undefined> {
  const file = pidFileOf(stateDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pidLine = '', address = ''] = text.split('\n');
  const pid = Number.parseInt(pidLine, 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) && isStreamd(pid))
    return { pid, address };
  await rm(file, { force: true });
  return undefined;
}

export async function runningPid(stateDir: string): Promise<number | undefined> {
  return (await runningDaemon(stateDir))?.pid;
}

export async function writePidFile(stateDir: string, address: string): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await writeFile(pidFileOf(stateDir), `${process.pid}\n${address}\n`);
}

export async function removePidFile(stateDir: string): Promise<void> {
  const file = pidFileOf(stateDir);
  const text = await readFile(file, 'utf8').catch(() => '');
  if (Number.parseInt(text, 10) === process.pid) await rm(file, { force: true });
}

export interface StartResult {
  pid: number;
  address: string;
}

/**
 * How Node runs the daemon (here, in the `streamd` command's first line, and in benchmarks): a
 * young generation of 2 MiB rather than 16 (scavenges are more frequent and short; the heap stays
 * small); two malloc arenas rather than eight a core (the threads that read files share them);
 * and blocks of 32 KiB or more mapped on their own (file and socket buffers), so that freeing one
 * gives its memory back rather than leaving a hole that a burst of requests makes the heap keep.
 * gc() exposed, for one collection when the HTTP port goes quiet (server/quiet-collector.ts).
 * docs/benchmarks.md, the Subsonic API, has what each saves.
 */
export const DAEMON_RUNTIME = {
  nodeFlags: ['--max-semi-space-size=2', '--expose-gc'],
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768' },
};

/**
 * Starts `streamd run` detached and waits until it listens (or fails: then the end of what it
 * said is in the error). It writes its log itself (`--log-file`, rotated); its stderr, where only
 * a crash would write, goes to streamd.stderr, begun anew at each start so that it stays small.
 */
export async function startInBackground(
  cliPath: string,
  runArgs: string[],
  stateDir: string,
  logFile: string,
  timeoutMs = 20_000,
): Promise<StartResult> {
  await mkdir(stateDir, { recursive: true });
  const stderrFile = path.join(stateDir, 'streamd.stderr');
  const stderrFd = openSync(stderrFile, 'w', 0o600);
  const child = spawn(process.execPath, [...DAEMON_RUNTIME.nodeFlags, cliPath, 'run', ...runArgs], {
    detached: true,
    stdio: ['ignore', 'ignore', stderrFd, 'ipc'],
    env: { ...process.env, ...DAEMON_RUNTIME.env, STREAMD_BACKGROUND: '1' },
  });
  closeSync(stderrFd);
  try {
    return await new Promise<StartResult>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer from the daemon in ${timeoutMs / 1000} s; see ${logFile}`)),
        timeoutMs,
      );
      child.once('message', (message: { ready?: boolean; address?: string }) => {
        clearTimeout(timer);
        if (message.ready) resolve({ pid: child.pid as number, address: message.address ?? '' });
      });
      child.once('exit', async (code) => {
        clearTimeout(timer);
        const said = async (file: string): Promise<string[]> =>
          (await readFile(file, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
        const tail = [...(await said(logFile)), ...(await said(stderrFile))].slice(-5).join('\n');
        reject(new Error(`the daemon exited with code ${code}:\n${tail}`));
      });
    });
  } finally {
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** Sends SIGTERM and waits for the process to go; SIGKILL after `timeoutMs`. */
export async function stopProcess(pid: number, timeoutMs = 6000): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.kill(pid, 'SIGKILL');
  return 'killed';
}
