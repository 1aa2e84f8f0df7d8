/**
 * The radio through Icecast: streamd as a source of a real icecast2, with 10 and with
 * 1,000 HTTP listeners on it (raw sockets in this process reading the mount and throwing it away).
 * Measured over a steady window: streamd's CPU (it must not grow with listeners), Icecast's, and
 * what the listeners received. Then the time from a song change (streamd's log) to the new
 * title in the stream at a listener that asks for ICY metadata.
 */
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestClient } from '../test/helpers/client.js';
import { startIcecast, SOURCE_PASSWORD, type Icecast } from '../test/helpers/icecast.js';
import { benchLibrary, cpuSeconds, freePort, median, spawnDaemon, table, type DaemonProcess } from './lib.js';

const WINDOW_SECONDS = 10;
const WARMUP_MS = 3000;
const MOUNT = '/streamd.mp3';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function feeding(music: string, icecast: Icecast): Promise<{ daemon: DaemonProcess; state: string }> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-icecast-'));
  const config = path.join(state, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ radio: { icecast: [{ url: icecast.url(MOUNT), password: SOURCE_PASSWORD }] } }),
    { mode: 0o600 },
  );
  const daemon = await spawnDaemon(music, state, await freePort(), [
    '--config',
    config,
    '--udp-port',
    String(await freePort()),
  ]);
  for (let i = 0; i < 100; i++) {
    const { client } = await TestClient.connect(daemon.port);
    const connected = (await client.command('radio')).fields.some(
      ([key, value]) => key === 'icecast_state' && value === 'connected',
    );
    client.close();
    if (connected) return { daemon, state };
    await sleep(100);
  }
  throw new Error('streamd did not connect to icecast2');
}

/** A listener: an HTTP GET of the mount on a raw socket, counting what it reads. */
function listener(port: number, counts: { bytes: number }, metadata?: (title: string) => void): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.write(`GET ${MOUNT} HTTP/1.0\r\nHost: 127.0.0.1\r\n${metadata ? 'Icy-MetaData: 1\r\n' : ''}\r\n`);
  let header = '';
  let metaint = 0;
  let untilMeta = 0;
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    counts.bytes += chunk.length;
    if (!metadata) return;
    if (metaint === 0) {
      header += chunk.toString('latin1');
      const end = header.indexOf('\r\n\r\n');
      if (end < 0) return;
      metaint = Number(/icy-metaint:\s*(\d+)/i.exec(header)?.[1] ?? 0);
      untilMeta = metaint;
      chunk = Buffer.from(header.slice(end + 4), 'latin1');
    }
    // ICY: after each `metaint` bytes of audio, a length byte (x16) and that much metadata.
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (untilMeta > 0) {
        const skip = Math.min(untilMeta, pending.length);
        pending = pending.subarray(skip);
        untilMeta -= skip;
        if (untilMeta > 0) return;
      }
      if (pending.length < 1) return;
      const length = (pending[0] as number) * 16;
      if (pending.length < 1 + length) return;
      const text = pending.subarray(1, 1 + length).toString('utf8');
      pending = pending.subarray(1 + length);
      untilMeta = metaint;
      const title = /StreamTitle='(.*?)';/.exec(text)?.[1];
      if (title !== undefined) metadata(title);
    }
  });
  socket.on('error', () => {});
  return socket;
}

async function load(music: string, listeners: number): Promise<Array<string | number>> {
  const icecast = await startIcecast();
  const { daemon, state } = await feeding(music, icecast);
  const counts = { bytes: 0 };
  const sockets: net.Socket[] = [];
  try {
    // 20 at a time: a thousand at once left about a hundred never served (this generator does not retry).
    for (let i = 0; i < listeners; i++) {
      sockets.push(listener(icecast.port, counts));
      if (i % 20 === 19) await sleep(50);
    }
    for (let i = 0; i < 150 && ((await icecast.sources())[0]?.listeners ?? 0) < listeners; i++) await sleep(100);
    await sleep(WARMUP_MS);
    const pid = daemon.child.pid as number;
    const icecastPid = icecast.pid;
    const [cpu0, ice0, bytes0, t0] = [cpuSeconds(pid), cpuSeconds(icecastPid), counts.bytes, performance.now()];
    await sleep(WINDOW_SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (100 * (cpuSeconds(pid) - cpu0)) / seconds;
    const iceCpu = (100 * (cpuSeconds(icecastPid) - ice0)) / seconds;
    const perListener = (counts.bytes - bytes0) / seconds / listeners / 1024;
    const seen = (await icecast.sources())[0]?.listeners ?? 0;
    return [listeners, seen, `${cpu.toFixed(1)}%`, `${iceCpu.toFixed(1)}%`, perListener.toFixed(1)];
  } finally {
    for (const socket of sockets) socket.destroy();
    await daemon.stop();
    await icecast.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

/** Song change (streamd's log line, its own clock) to the new StreamTitle at a listener, ms. */
async function titleDelays(music: string, changes: number): Promise<number[]> {
  const icecast = await startIcecast();
  const { daemon, state } = await feeding(music, icecast);
  const titles: Array<{ title: string; at: number }> = [];
  const socket = listener(icecast.port, { bytes: 0 }, (title) => {
    if (titles.at(-1)?.title !== title) titles.push({ title, at: Date.now() });
  });
  try {
    const seen = (): number => [...daemon.log().matchAll(/^(\S+) info {2}radio: now playing /gm)].length;
    const start = seen();
    while (seen() < start + changes + 1) await sleep(200);
    await sleep(3000); // the last title reaches the listener
    const changed = [...daemon.log().matchAll(/^(\S+) info {2}radio: now playing (.*) to /gm)]
      .slice(start + 1)
      .map((match) => ({ at: Date.parse(match[1] as string), file: match[2] as string }));
    const delays: number[] = [];
    for (const change of changed) {
      const name = path.basename(change.file, path.extname(change.file)).replace(/^\d+ /, '');
      const heard = titles.find((entry) => entry.at >= change.at - 1000 && entry.title.includes(name));
      if (heard) delays.push(heard.at - change.at);
    }
    return delays;
  } finally {
    socket.destroy();
    await daemon.stop();
    await icecast.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

export async function icecastBench(): Promise<string> {
  const rows = [await load(benchLibrary(20, 120), 10), await load(benchLibrary(20, 120), 1000)];
  const delays = await titleDelays(benchLibrary(8, 6), 6);
  const sorted = [...delays].sort((a, b) => a - b);
  return `${table(['HTTP listeners', 'on the mount', 'streamd CPU', 'icecast2 CPU', 'KiB/s per listener'], rows)}

${WINDOW_SECONDS} s window after ${WARMUP_MS / 1000} s with every listener on the mount; streamd feeds one icecast2 2.4.4 as a source (HTTP PUT, 128 kbit/s
MP3s), the listeners are raw sockets in the benchmark's own process on the same 2 cores. CPU is %
of one core.

Song change to the new title at a listener (ICY metadata, Icy-MetaData: 1), ${delays.length} changes: median
${median(delays)} ms, worst ${sorted.at(-1) ?? NaN} ms. Icecast sends the title in the stream every icy-metaint
bytes (16,000: about a second at 128 kbit/s) and a listener hears the stream behind its burst
buffer, so the title comes with the audio it belongs to rather than at once.`;
}
