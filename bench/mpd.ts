/** MPD and ncmpcpp as the benchmarks' yardstick: an MPD of its own on a free port, its database built, and ncmpcpp on it in tmux. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tmux } from '../test/helpers/tmux.js';
import { freePort } from './lib.js';

export interface Mpd {
  port: number;
  process: ChildProcess;
  /** ncmpcpp connected to it, in tmux. */
  ncmpcpp: Tmux;
  mpc(...args: string[]): string;
  /** ncmpcpp's pid. */
  ncmpcppPid(): number;
  stop(): void;
}

/** MPD on `music` with a null output or a PulseAudio one (`env` points at the server). */
export async function startMpd(
  music: string,
  output: 'null' | 'pulse',
  env: Record<string, string> = {},
): Promise<Mpd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mpd-bench-'));
  const port = await freePort();
  const conf = path.join(dir, 'mpd.conf');
  writeFileSync(
    conf,
    [
      `music_directory "${music}"`,
      `db_file "${dir}/db"`,
      `bind_to_address "127.0.0.1"`,
      `port "${port}"`,
      `audio_output {\n  type "${output}"\n  name "${output}"\n}`,
    ].join('\n') + '\n',
  );
  const child = spawn('mpd', ['--no-daemon', conf], { stdio: 'ignore', env: { ...process.env, ...env } });
  const mpc = (...args: string[]): string =>
    execFileSync('mpc', ['-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  // mpc fails until MPD listens: the first update is tried again for a few seconds.
  for (let i = 0; ; i++) {
    try {
      mpc('update', '--wait');
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const ncmpcpp = Tmux.start(dir, ['ncmpcpp', '-h', '127.0.0.1', '-p', String(port)], { HOME: dir }, 100, 30);
  return {
    port,
    process: child,
    ncmpcpp,
    mpc,
    ncmpcppPid: () =>
      Number(execFileSync('pgrep', ['-f', '-n', `ncmpcpp -h 127.0.0.1 -p ${port}`], { encoding: 'utf8' }).trim()),
    stop() {
      ncmpcpp.kill();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
