/**
 * Debian's supysonic (a Subsonic server in Python) on a library, for the API's compatibility run
 * and benchmark: its own config file, SQLite database and cache in a temporary folder, one user,
 * the library scanned once, served by waitress on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './cli.js';

export interface Supysonic {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startSupysonic(music: string, user: { name: string; password: string }): Promise<Supysonic> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'supysonic-'));
  writeFileSync(
    path.join(dir, 'supysonic.conf'),
    [
      '[base]',
      `database_uri = sqlite:///${path.join(dir, 'supysonic.db')}`,
      '[webapp]',
      `cache_dir = ${path.join(dir, 'cache')}`,
      'log_level = WARNING',
      '[daemon]',
      `socket = ${path.join(dir, 'supysonic.sock')}`,
      '',
    ].join('\n'),
  );
  // supysonic reads supysonic.conf from the working folder.
  const cli = (...args: string[]): void => {
    execFileSync('supysonic-cli', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  };
  cli('user', 'add', user.name, '-p', user.password);
  cli('folder', 'add', 'music', music);
  cli('folder', 'scan', '--foreground', 'music');
  const port = await freePort();
  const child = spawn('supysonic-server', ['-S', 'waitress', '-h', '127.0.0.1', '-p', String(port), '--threads', '8'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/rest/ping?u=${user.name}&p=${user.password}&v=1.16.1&c=t`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`supysonic did not start: ${errors.slice(-500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
