/**
 * Push events (`idle`): how long one `att status` takes to reach 500 connections idling on
 * `devices` (a real streamd process, clients in this process on raw sockets), and how long a device
 * change takes to show on another player's screen (the real streamtui in tmux, polled with
 * capture-pane).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ResponseReader } from '../common/protocol/response-reader.js';
import { TestClient } from '../test/helpers/client.js';
import { Tmux } from '../test/helpers/tmux.js';
import { benchLibrary, freePort, median, spawnDaemon, table, streamtuiCommand } from './lib.js';

const IDLERS = 500;
const ROUNDS = 10;

/** A raw connection that counts the answers it has read. */
class Idler {
  answers = 0;
  lastAnswerAt = 0;
  private readonly reader = new ResponseReader();
  private waiter: (() => void) | undefined;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.reader.push(chunk).events) {
        if (event.type !== 'ok' && event.type !== 'err') continue;
        this.answers++;
        this.lastAnswerAt = performance.now();
        this.waiter?.();
      }
    });
  }

  static async open(port: number): Promise<Idler> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const idler = new Idler(socket);
    await idler.until(1); // the greeting
    return idler;
  }

  until(answers: number): Promise<void> {
    if (this.answers >= answers) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = () => {
        if (this.answers < answers) return;
        this.waiter = undefined;
        resolve();
      };
    });
  }
}

async function fanOut(port: number): Promise<number[]> {
  const idlers: Idler[] = [];
  for (let i = 0; i < IDLERS; i++) idlers.push(await Idler.open(port));
  const changer = (await TestClient.connect(port)).client;
  const times: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Take what is pending (the others' connects), then wait for the next change.
      await Promise.all(
        idlers.map((idler) => {
          const target = idler.answers + 1;
          idler.socket.write('idle devices\nnoidle\n');
          return idler.until(target);
        }),
      );
      const before = idlers.map((idler) => idler.answers);
      for (const idler of idlers) idler.socket.write('idle devices\n');
      await new Promise((resolve) => setTimeout(resolve, 200)); // every idle in place
      const t0 = performance.now();
      await changer.line(`att status round ${round}`);
      await Promise.all(idlers.map((idler, i) => idler.until((before[i] as number) + 1)));
      times.push(Math.max(...idlers.map((idler) => idler.lastAnswerAt)) - t0);
    }
  } finally {
    for (const idler of idlers) idler.socket.destroy();
    changer.close();
  }
  return times;
}

async function toScreen(port: number): Promise<number[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-push-'));
  const tui = Tmux.start(
    dir,
    [
      ...streamtuiCommand(),
      '--port',
      String(port),
      '--cache-dir',
      path.join(dir, 'cache'),
      '--audio',
      'null',
      '--name',
      'screen',
    ],
    { HOME: dir, XDG_CONFIG_HOME: dir },
    120,
    30,
  );
  const other = (await TestClient.connect(port)).client;
  const times: number[] = [];
  try {
    await tui.waitFor(/Library \([1-9]\d*\)/);
    await other.line('hello kitchen');
    await tui.waitFor(/kitchen/);
    for (let round = 0; round < ROUNDS; round++) {
      const marker = `marker-${round}-${Date.now() % 1000}`;
      const t0 = performance.now();
      other.send(`att status ${marker}\n`);
      while (!tui.screen().includes(marker)) {
        if (performance.now() - t0 > 5000) throw new Error('the change never showed');
      }
      times.push(performance.now() - t0);
      await other.next();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    other.close();
    tui.keys('q');
    tui.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

export async function pushBench(): Promise<string> {
  const root = benchLibrary(10, 30);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-push-'));
  const config = path.join(stateDir, 'streamd.json');
  writeFileSync(config, JSON.stringify({ max_connections: 1024, max_connections_per_address: 1024 }), { mode: 0o600 });
  const daemon = await spawnDaemon(root, stateDir, await freePort(), [
    '--config',
    config,
    '--udp-port',
    String(await freePort()),
  ]);
  try {
    const fan = await fanOut(daemon.port);
    const screen = await toScreen(daemon.port);
    const worst = (values: number[]): number => Math.max(...values);
    return [
      `One \`att status\` to ${IDLERS} connections idling on \`devices\`: from sending it to the last of them reading its \`changed: devices\` (streamd in its own process; the ${IDLERS} clients in one Node process, whose reading is part of the figure), ${ROUNDS} rounds. A device's status change to another streamtui's screen: from sending \`att status\` to capture-pane showing it (tmux, the player's \`idle\` loop, one \`lista dispositivos\`, a render), ${ROUNDS} rounds. Before push events the player polled every 2 s: 1 s on average.`,
      '',
      table(
        ['what', 'median ms', 'worst ms'],
        [
          [`att status to ${IDLERS} idlers`, median(fan).toFixed(1), worst(fan).toFixed(1)],
          ['a device change to another player’s screen', median(screen).toFixed(1), worst(screen).toFixed(1)],
        ],
      ),
    ].join('\n');
  } finally {
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await pushBench());
