/** Runs the built `streamd` command as a user would, in a private HOME and state dir. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STREAMD = fileURLToPath(new URL('../../daemon/cli.js', import.meta.url));
const STREAMTUI = fileURLToPath(new URL('../../tui/cli.js', import.meta.url));

/**
 * The player's command as a user's `streamtui` runs it: node with the environment and flags of
 * its shebang (through env, as the shebang does), so that the benchmarks measure what is shipped;
 * `nodeOptions` go to node before them.
 */
export function streamtuiCommand(nodeOptions: readonly string[] = []): string[] {
  const shebang = readFileSync(STREAMTUI, 'utf8').split('\n', 1)[0] as string;
  const parts = /^#!\/usr\/bin\/env -S (?<vars>(\w+=\w+ )*)node(?<flags>( --[\w-]+(=\w+)?)*)$/.exec(shebang)?.groups;
  if (parts === undefined)
    throw new Error(`streamtui's shebang is not '#!/usr/bin/env -S [NAME=value...] node --flags': ${shebang}`);
  const vars = (parts['vars'] ?? '').split(' ').filter(Boolean);
  const node = [process.execPath, ...nodeOptions, ...(parts['flags'] ?? '').split(' ').filter(Boolean), STREAMTUI];
  return vars.length > 0 ? ['/usr/bin/env', ...vars, ...node] : node;
}

/**
 * The player as tests start it: quitting while a song plays quits, without the question whether
 * the music plays on (test/e2e/quit-handover.test.ts asks it).
 */
export function testStreamtui(): string[] {
  return [process.execPath, STREAMTUI, '--keep-playing', 'never'];
}

export interface Sandbox {
  home: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  streamd(args: string[]): { code: number | null; stdout: string; stderr: string };
  spawnRun(args: string[]): ChildProcess;
  cleanup(): void;
}

/**
 * Daemons started by tests take any free UDP port, so that they neither collide with each other
 * nor with a streamd the machine runs on the default 9191.
 */
function withUdpPort(args: string[]): string[] {
  const starts = ['run', 'start', 'restart'].includes(args[0] ?? '');
  return starts && !args.includes('--udp-port') ? [...args, '--udp-port', '0'] : args;
}

export function sandbox(): Sandbox {
  const home = mkdtempSync(path.join(os.tmpdir(), 'streamd-home-'));
  const stateDir = path.join(home, 'state');
  const env = {
    ...process.env,
    HOME: home,
    XDG_STATE_HOME: path.join(home, '.local/state'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
  };
  return {
    home,
    stateDir,
    env,
    streamd(args) {
      const result = spawnSync(process.execPath, [STREAMD, ...withUdpPort(args)], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    spawnRun(args) {
      return spawn(process.execPath, [STREAMD, ...withUdpPort(['run', ...args])], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    },
    cleanup() {
      spawnSync(process.execPath, [STREAMD, 'stop', '--state-dir', stateDir], { env, timeout: 20_000 });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A free TCP port on loopback (bound, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
