/** The real TUI in a real terminal: tmux on a private socket, send-keys to type, capture-pane to read. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let sessions = 0;

export class Tmux {
  private constructor(
    readonly socket: string,
    readonly exitFile: string,
  ) {}

  /**
   * Runs `command` (argv) in a detached tmux session of `cols` x `rows`, with `env` added.
   * When the command ends its exit code is written to `<dir>/exit`; what it keeps goes under `<dir>/state`.
   */
  static start(dir: string, command: string[], env: Record<string, string>, cols = 100, rows = 30): Tmux {
    const socket = `streamtui-test-${process.pid}-${sessions++}`;
    const exitFile = path.join(dir, 'exit');
    const quoted = command.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
    const vars = Object.entries({
      NCURSES_NO_UTF8_ACS: '1',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TERM: 'xterm-256color',
      // The queue and what the player keeps go to the test's dir, never to the real HOME's.
      XDG_STATE_HOME: path.join(dir, 'state'),
      ...env,
    })
      .map(([key, value]) => `${key}='${value}'`)
      .join(' ');
    const script = `env ${vars} ${quoted} 2>'${path.join(dir, 'stderr')}'; echo $? > '${exitFile}'; sleep 60`;
    execFileSync(
      'tmux',
      [
        '-L',
        socket,
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-x',
        String(cols),
        '-y',
        String(rows),
        'sh',
        '-c',
        script,
      ],
      { timeout: 10_000 },
    );
    return new Tmux(socket, exitFile);
  }

  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', ...keys], { timeout: 10_000 });
  }

  /** Types text literally (no key-name lookup). */
  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-l', text], { timeout: 10_000 });
  }

  screen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p'], { encoding: 'utf8', timeout: 10_000 });
  }

  /** The screen with its colours and attributes as escape sequences (capture-pane -e). */
  styledScreen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-e'], { encoding: 'utf8', timeout: 10_000 });
  }

  /**
   * The screen once it shows `pattern` and has finished drawing: a large frame reaches tmux in
   * several reads, and a capture between two of them shows half of it, so the screen is read again
   * until two captures 50 ms apart agree.
   */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return this.settled(screen, pattern, deadline);
      if (Date.now() > deadline) throw new Error(`screen never showed ${pattern}:\n${screen}\n${this.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async settled(screen: string, pattern: RegExp, deadline: number): Promise<string> {
    // A screen that keeps changing (a clock) is taken as it is after a few tries.
    for (let tries = 0; tries < 10 && Date.now() < deadline; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = this.screen();
      // Gone again (a passing message): what was seen is the answer.
      if (again === screen || !pattern.test(again)) return screen;
      screen = again;
    }
    return screen;
  }

  async exitCode(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.exitFile) || readFileSync(this.exitFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error('the program did not exit');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Number(readFileSync(this.exitFile, 'utf8').trim());
  }

  /** The program's stderr and its STREAMTUI_LOG, for failure messages. */
  logs(): string {
    const dir = path.dirname(this.exitFile);
    const read = (name: string): string =>
      existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : '';
    return `stderr:\n${read('stderr')}\nplayer.log:\n${read('player.log')}`;
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already gone
    }
  }

  /**
   * Ends the session and waits until what ran in it has exited (a player ending on the hang-up
   * still writes its cache and state), so that a caller that removes its dir next finds it no
   * longer written; what has not ended in 5 s is killed. Waits without holding the event loop: a
   * daemon in this process may be what the player is finishing with.
   */
  async close(): Promise<void> {
    let session: number | undefined;
    try {
      const panes = execFileSync('tmux', ['-L', this.socket, 'list-panes', '-F', '#{pane_pid}'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
      });
      session = Number(panes.split('\n')[0]) || undefined;
    } catch {
      // already gone
    }
    this.kill();
    if (session === undefined) return;
    const running = (): number[] =>
      spawnSync('pgrep', ['-s', String(session)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number);
    const settled = async (ms: number): Promise<void> => {
      for (const deadline = Date.now() + ms; running().length > 0 && Date.now() < deadline;)
        await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await settled(5000);
    for (const pid of running()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    await settled(2000);
  }
}

/** Tab to the devices panel (library, queue, devices) and down to `name` (the list is in order of connection). */
export async function selectDevice(tui: Tmux, name: string): Promise<void> {
  const selected = new RegExp(`>[ *]${name}\\b`);
  tui.keys('Tab', 'Tab', 'g');
  for (let i = 0; i < 6; i++) {
    await new Promise((resolve) => setTimeout(resolve, 300)); // the screen catches up with the key
    if (selected.test(tui.screen())) return;
    tui.keys('Down');
  }
  await tui.waitFor(selected, 2000);
}

/**
 * A silent streamtui (`--audio null`, no calls) named `name` on the daemon at `port`, in tmux in a
 * fresh folder under `work`: its cache, state and config there, its log in `player.log`.
 */
export function silentPlayer(
  work: string,
  port: number,
  name: string,
  cols = 110,
  rows = 36,
  extra: readonly string[] = [],
): Tmux & { dir: string } {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  const streamtui = fileURLToPath(new URL('../../tui/cli.js', import.meta.url));
  const tui = Tmux.start(
    dir,
    [
      process.execPath,
      streamtui,
      ...['--port', String(port), '--name', name, '--cache-dir', path.join(dir, 'cache')],
      ...['--state-dir', path.join(dir, 'state'), '--audio', 'null', '--no-calls', '--keep-playing', 'never'],
      ...extra,
    ],
    { XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
    cols,
    rows,
  );
  return Object.assign(tui, { dir });
}
