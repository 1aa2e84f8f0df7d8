/**
 * An Icecast that stops reading: icecast2 stopped with SIGSTOP, while streamd feeds it.
 * Both run in a network namespace of the test's own whose TCP buffers are 4 KiB (the tcp_rmem and
 * tcp_wmem sysctls are per namespace), so that what streamd writes backs up within a second rather
 * than after megabytes of loopback buffers at 16 KB/s. streamd drops the connection after its write
 * timeout, says why, and is connected again once the server runs again. Needs root (CI is).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STREAMD } from '../helpers/cli.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { icecastSetup, SOURCE_PASSWORD } from '../helpers/icecast.js';
import { until } from '../helpers/log-capture.js';

const namespace = `sdi${process.pid % 100_000}`;
const inNamespace = ['ip', 'netns', 'exec', namespace];
let library: FixtureLibrary;

before(() => {
  if (process.getuid?.() !== 0) throw new Error('this test makes a network namespace: run it as root (CI does)');
  library = makeFixtureLibrary();
  execFileSync('ip', ['netns', 'add', namespace]);
  execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', [
    'netns',
    'exec',
    namespace,
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.tcp_rmem=4096 4096 4096',
    'net.ipv4.tcp_wmem=4096 4096 4096',
  ]);
});
after(() => {
  execFileSync('ip', ['netns', 'del', namespace]);
  library.cleanup();
});

function start(argv: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(inNamespace[0] as string, [...inNamespace.slice(1), ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

describe('an Icecast that stops reading', () => {
  it('is dropped after the write timeout, said why, and fed again once it reads', { timeout: 240_000 }, async () => {
    const icecast = icecastSetup(8000);
    const state = mkdtempSync(path.join(os.tmpdir(), 'streamd-stuck-'));
    const server = start(icecast.argv);
    const daemon = start([
      process.execPath,
      STREAMD,
      'run',
      '--music',
      library.root,
      '--state-dir',
      state,
      '--port',
      '9090',
      '--udp-port',
      '9191',
      '--icecast-url',
      `http://source:${SOURCE_PASSWORD}@127.0.0.1:8000/streamd.mp3`,
    ]);
    try {
      await until(
        'streamd feeding icecast2',
        () => (/icecast \S+: connected \(PUT\)/.test(daemon.output()) ? true : undefined),
        30_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      server.child.kill('SIGSTOP');
      // Ten seconds from when the kernel stops taking: the loopback buffers (grown by TCP's
      // autotuning while the server read) fill first, at the radio's 16 KB a second.
      await until(
        'streamd giving up on it',
        () =>
          /icecast \S+: lost: the server took nothing for 10 s; trying again/.test(daemon.output()) ? true : undefined,
        100_000,
      );
      assert.equal(daemon.child.exitCode, null, 'streamd runs on');
      server.child.kill('SIGCONT');
      await until(
        'connected again',
        () => (/icecast \S+: connected again/.test(daemon.output()) ? true : undefined),
        90_000,
      );
    } finally {
      await stop(daemon.child);
      await stop(server.child);
      rmSync(state, { recursive: true, force: true });
      rmSync(icecast.dir, { recursive: true, force: true });
    }
  });
});
