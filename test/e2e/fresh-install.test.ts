/**
 * A new user's first two commands on a machine that cannot build native modules (no compiler, no
 * ALSA headers): a copy of the checkout installed with `npm ci` while CC and CXX fail, so the
 * optional `speaker` does not build, as on a fresh Debian with Node alone. The install must work,
 * the launch test must pass in that copy, and `npm start` must open the player on the demo
 * library: playing through PulseAudio when a server answers, else saying on the status line
 * what to install.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { peak, pulseNullSink } from '../helpers/audio-env.js';
import { freePort } from '../helpers/cli.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';

const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-fresh-'));
const clone = path.join(work, 'clone');

/** The checkout's files that git tracks or would (not what it ignores), as they are in the work tree: what a clone holds. */
function copyCheckout(): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: CHECKOUT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(CHECKOUT, file))) continue; // deleted in the work tree, not yet committed
    mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    copyFileSync(path.join(CHECKOUT, file), path.join(clone, file));
  }
}

/** A user's HOME with nothing in it but a config that keeps the daemon off the ports of others. */
function freshHome(name: string, port: number, udpPort: number): { home: string; env: Record<string, string> } {
  const home = path.join(work, name);
  const config = path.join(home, '.config', 'streamd');
  mkdirSync(config, { recursive: true });
  writeFileSync(path.join(config, 'config.json'), JSON.stringify({ port, udp_port: udpPort }), { mode: 0o600 });
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
  };
  return { home, env };
}

/** `npm start` in the clone, in a terminal: the script's own command, with the ports of this test. */
function npmStart(dir: string, env: Record<string, string>, port: number, udpPort: number): Tmux {
  const start = (
    JSON.parse(readFileSync(path.join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts['start'] as string;
  const words = start.split(' ');
  // The script's leading NAME=value words are its environment, as the shell takes them.
  let first = 0;
  while (/^\w+=/.test(words[first] ?? '')) first++;
  const assigned = words.slice(0, first);
  const [node, ...args] = words.slice(first);
  assert.equal(node, 'node');
  const tuiDir = mkdtempSync(path.join(dir, 'tty-'));
  return Tmux.start(
    tuiDir,
    [
      process.execPath,
      ...args.map((arg) => (arg.startsWith('dist/') ? path.join(clone, arg) : arg)),
      '--port',
      String(port),
      '--udp-port',
      String(udpPort),
      '--no-calls',
    ],
    {
      ...Object.fromEntries(assigned.map((word) => word.split('='))),
      ...env,
      STREAMTUI_LOG: path.join(tuiDir, 'player.log'),
    },
    120,
    30,
  );
}

function stopDaemon(env: Record<string, string>): void {
  spawnSync(process.execPath, [path.join(clone, 'dist/daemon/cli.js'), 'stop'], {
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
}

before(() => {
  copyCheckout();
  // Shares the npm cache the outer install filled: the registry is asked only for what it lacks.
  const install = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: clone,
    env: { ...process.env, CC: 'false', CXX: 'false' },
    encoding: 'utf8',
    timeout: 170_000,
  });
  assert.equal(install.status, 0, `npm ci failed:\n${install.stdout}\n${install.stderr}`);
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('a fresh install without a compiler', () => {
  it('built everything but speaker', () => {
    assert.ok(existsSync(path.join(clone, 'dist/tui/cli.js')));
    assert.ok(existsSync(path.join(clone, 'dist/daemon/cli.js')));
    // What makes the situation real: speaker's native part could not be built.
    assert.ok(
      !existsSync(path.join(clone, 'node_modules/speaker/build/Release/binding.node')),
      'speaker was built after all',
    );
  });

  it('passes the launch test', () => {
    const run = spawnSync(process.execPath, ['--test', 'dist/test/integration/launch.test.js'], {
      cwd: clone,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  });

  it('npm start with no sound server opens the demo library and says what to install', async () => {
    const [port, udpPort] = [await freePort(), await freePort()];
    const { home, env } = freshHome('home-silent', port, udpPort);
    // No PulseAudio: neither a server named nor a runtime dir with one.
    const silent = { ...env, PULSE_SERVER: '', XDG_RUNTIME_DIR: path.join(home, 'runtime') };
    mkdirSync(silent.XDG_RUNTIME_DIR, { mode: 0o700 });
    const tui = npmStart(home, silent, port, udpPort);
    try {
      // A first start: the daemon makes its demo library, and the player says so meanwhile.
      await tui.waitFor(/streamd is making its demo library: [0-3] of 4 songs/, 60_000);
      const screen = await tui.waitFor(
        /Morning Ferry[\s\S]*no sound: no PulseAudio or PipeWire server answers/,
        90_000,
      );
      assert.match(screen, /audio null \(silent\)/);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0, tui.logs());
    } finally {
      tui.kill();
      stopDaemon(silent);
    }
  });

  it('npm start with a PulseAudio server plays through it', async () => {
    const [port, udpPort] = [await freePort(), await freePort()];
    const { home, env } = freshHome('home-pulse', port, udpPort);
    const pulse = await pulseNullSink();
    const tui = npmStart(home, { ...env, ...pulse.env }, port, udpPort);
    try {
      await tui.waitFor(/Morning Ferry[\s\S]*audio PulseAudio/, 90_000);
      const recording = await pulse.record();
      tui.keys('Enter');
      await tui.waitFor(/Playing/);
      await until('a second recorded', () => (recording.seconds() >= 2 ? true : undefined));
      const pcm = await recording.stop();
      assert.ok(peak(pcm) > 1000, `the song was not heard (peak ${peak(pcm)})`);
      tui.keys('q');
      await tui.waitFor(/keep the music playing once the player has quit\? y: on .* headless, n: stop it/);
      tui.keys('n');
      assert.equal(await tui.exitCode(), 0, tui.logs());
    } finally {
      tui.kill();
      stopDaemon({ ...env, ...pulse.env });
      pulse.stop();
    }
  });
});
