/**
 * Start-up: from the command to the library on screen, beside ncmpcpp on MPD, each on the same
 * 500-song library with its server already running; and `npm start` when it must start streamd
 * first. Node's own start and the player's imports (`--version`) show where the time goes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STREAMD } from '../test/helpers/cli.js';
import { Tmux } from '../test/helpers/tmux.js';
import { benchLibrary, freePort, median, missingTools, spawnDaemon, streamtuiCommand, table } from './lib.js';
import { startMpd } from './mpd.js';

const RUNS = 7;
const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

/** Milliseconds from starting `command` in a new tmux to `shown` on its screen (polled every 5 ms). */
async function timeToScreen(command: string[], env: Record<string, string>, shown: RegExp): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bench-start-'));
  const t0 = performance.now();
  const tui = Tmux.start(dir, command, env, 100, 30);
  try {
    while (!shown.test(tui.screen())) {
      if (performance.now() - t0 > 30_000) throw new Error(`never showed ${shown}:\n${tui.screen()}\n${tui.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return performance.now() - t0;
  } finally {
    tui.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function timeCommand(command: string[]): number {
  const t0 = performance.now();
  spawnSync(command[0] as string, command.slice(1), { stdio: 'ignore' });
  return performance.now() - t0;
}

async function runs(once: () => Promise<number> | number, between?: () => void): Promise<number[]> {
  await once(); // warms the page cache: every later run starts as a second start does
  between?.();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    times.push(await once());
    between?.();
  }
  return times;
}

const row = (what: string, times: number[]): Array<string | number> => [
  what,
  Math.round(median(times)),
  Math.round(Math.min(...times)),
  Math.round(Math.max(...times)),
];

export async function startupBench(): Promise<string> {
  const missing = missingTools(['mpd', 'mpc', 'ncmpcpp', 'tmux', 'lame']);
  if (missing.length > 0)
    return `Not measured: ${missing.join(', ')} missing (apt-get install mpd mpc ncmpcpp tmux lame).`;
  const music = benchLibrary(500, 30);
  const home = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bench-home-'));
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_STATE_HOME: path.join(home, 'state'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    DBUS_SESSION_BUS_ADDRESS: '',
  };
  mkdirSync(env.XDG_CONFIG_HOME);
  const streamd = (...args: string[]): void => {
    execFileSync(process.execPath, [STREAMD, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  };
  streamd('config', '--music', music);
  const port = await freePort();
  const daemon = await spawnDaemon(music, path.join(home, 'daemon-state'), port);
  const library = /Artist \d\d - Song/;
  const player = [...streamtuiCommand(), '--port', String(port), '--audio', 'null'];
  const npmStart = (to: number): string[] => [
    'npm',
    '--prefix',
    PROJECT,
    'start',
    '--',
    '--port',
    String(to),
    '--audio',
    'null',
  ];
  const rows: Array<Array<string | number>> = [];
  try {
    rows.push(row('node -e 0 (Node alone)', await runs(() => timeCommand([process.execPath, '-e', '0']))));
    rows.push(
      row('streamtui --version (Node and the imports)', await runs(() => timeCommand([...player, '--version']))),
    );
    rows.push(row('streamtui, streamd running', await runs(() => timeToScreen(player, env, library))));
    rows.push(row('npm start, streamd running', await runs(() => timeToScreen(npmStart(port), env, library))));
  } finally {
    await daemon.stop();
  }
  try {
    // No daemon on this port: npm start starts one (`streamd start`), which reads the library it kept.
    const own = await freePort();
    const stop = (): void => streamd('stop');
    rows.push(row('npm start, no streamd running', await runs(() => timeToScreen(npmStart(own), env, library), stop)));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const mpd = await startMpd(music, 'null');
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ncmpcpp-bench-'));
    mkdirSync(path.join(dir, '.config', 'ncmpcpp'), { recursive: true });
    writeFileSync(path.join(dir, '.config', 'ncmpcpp', 'config'), 'startup_screen = "media_library"\n');
    const ncmpcpp = ['ncmpcpp', '-h', '127.0.0.1', '-p', String(mpd.port)];
    rows.push(
      row(
        'ncmpcpp 0.9.2 (media library), MPD running',
        await runs(() => timeToScreen(ncmpcpp, { HOME: dir }, /Artist 0\d/)),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  } finally {
    mpd.stop();
  }
  return [
    `${RUNS} runs each after one to warm the page cache; milliseconds from the command to the library's first rows on a 100x30 tmux screen (capture-pane every 5 ms).`,
    '',
    table(['command', 'median ms', 'min ms', 'max ms'], rows),
  ].join('\n');
}
