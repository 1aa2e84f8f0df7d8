/**
 * The handoff: a song moved from one device to another as it plays. "kitchen" and "bedroom" are
 * `streamtui --headless`, each in a room of its own on one PulseAudio server recorded on one
 * timeline (test/helpers/two-rooms.ts); a client asks the one playing to send its music to the
 * other (`remote A send B`, what S and M in the devices panel send), back and forth. For each
 * handoff, in the recording: the silence between the sender's last sound and the receiver's first
 * (negative: both played at once), and how far on in the song the receiver started against where
 * the sender was (each room's place found by matching the recording to the song). Then both rooms
 * at once: the stopped one asked to listen along with the other (`remote B follow A`), and how far
 * apart they play. No peer here moves a playing song between two players; MPD's nearest is a
 * client copying a queue and seeking.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestClient, records } from '../test/helpers/client.js';
import { levelsSong, placeInSong, roomOffset, soundSpan, twoRooms, ROOM_RATE } from '../test/helpers/two-rooms.js';
import { freePort, median, missingTools, spawnDaemon, streamtuiCommand, table } from './lib.js';

const HANDOFFS = 10;
/** Rounds of both rooms at once (`remote B follow A`), and the seconds of each measured. */
const ALONG_ROUNDS = 3;
const ALONG_SECONDS = 6;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function handoffBench(): Promise<string> {
  const missing = missingTools(['pulseaudio', 'parec']);
  if (missing.length > 0)
    return `Not measured: ${missing.join(', ')} missing (apt-get install pulseaudio pulseaudio-utils).`;
  const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-bench-handoff-'));
  const song = levelsSong(600, 41);
  mkdirSync(path.join(work, 'music', 'Rooms'), { recursive: true });
  writeFileSync(path.join(work, 'music', 'Rooms', 'long.wav'), song.wav);
  const rooms = await twoRooms();
  const players: ChildProcess[] = [];
  const silences: number[] = [];
  const jumps: number[] = [];
  const alongOffsets: number[] = [];
  let alongUnmatched = 0;
  try {
    const daemon = await spawnDaemon(path.join(work, 'music'), path.join(work, 'daemon'), await freePort(), [
      '--udp-port',
      String(await freePort()),
    ]);
    const { client } = await TestClient.connect(daemon.port);
    try {
      const [program, ...args] = streamtuiCommand() as [string, ...string[]];
      for (const [name, env] of [
        ['kitchen', rooms.lead],
        ['bedroom', rooms.follow],
      ] as const) {
        const dir = path.join(work, name);
        const flags = ['--headless', '--port', String(daemon.port), '--name', name, '--audio', 'pulse', '--no-calls'];
        const dirs = ['--cache-dir', path.join(dir, 'cache'), '--state-dir', path.join(dir, 'state')];
        players.push(
          spawn(program, [...args, ...flags, ...dirs, '--no-mpris'], {
            env: { ...process.env, ...env, XDG_CONFIG_HOME: path.join(dir, 'config') },
            stdio: 'ignore',
          }),
        );
      }
      const status = async (name: string): Promise<string> =>
        records(await client.command('lista dispositivos'), 'device')
          .find((r) => r.get('device') === name && r.get('control') === 'yes')
          ?.get('status') ?? '';
      const until = async (name: string, pattern: RegExp): Promise<void> => {
        for (const deadline = Date.now() + 30_000; !pattern.test(await status(name)); await sleep(50))
          if (Date.now() > deadline) throw new Error(`${name} never said ${pattern}: ${await status(name)}`);
      };
      await until('kitchen', /./);
      await until('bedroom', /./);
      const recording = await rooms.record();
      await client.command('hello', 'bench');
      const started = await client.command('remote', 'kitchen', 'play', 'Rooms/long.wav');
      if (!started.ok) throw new Error(`remote play: ${started.text}`);
      await until('kitchen', /^playing Rooms\/long\.wav/);
      await sleep(3000);
      const windows: Array<{ from: 0 | 1; start: number; end: number }> = [];
      for (let i = 0; i < HANDOFFS; i++) {
        const [from, to] = i % 2 === 0 ? (['kitchen', 'bedroom'] as const) : (['bedroom', 'kitchen'] as const);
        const start = recording.seconds();
        const sent = await client.command('remote', from, 'send', to);
        if (!sent.ok) throw new Error(`remote send: ${sent.text}`);
        await until(to, /^playing Rooms\/long\.wav/);
        await until(from, /^(stopped|idle)/);
        await sleep(2500);
        windows.push({ from: i % 2 === 0 ? 0 : 1, start, end: recording.seconds() });
      }
      // Both at once: the kitchen plays (the last handoff went there); the bedroom is asked to listen along.
      const alongAsks: number[] = [];
      for (let i = 0; i < ALONG_ROUNDS; i++) {
        alongAsks.push(recording.seconds());
        const asked = await client.command('remote', 'bedroom', 'follow', 'kitchen');
        if (!asked.ok) throw new Error(`remote follow: ${asked.text}`);
        await until('bedroom', /^playing Rooms\/long\.wav/);
        await sleep(ALONG_SECONDS * 1000 + 1500);
        const stopped = await client.command('remote', 'bedroom', 'stop');
        if (!stopped.ok) throw new Error(`remote stop: ${stopped.text}`);
        await until('bedroom', /^(stopped|idle)/);
        await sleep(1000);
      }
      const pcm = await recording.stop();
      for (const asked of alongAsks) {
        const slice = pcm.subarray(Math.round(asked * ROOM_RATE) * 4, Math.round((asked + 4) * ROOM_RATE) * 4);
        const joined = soundSpan(slice, 1);
        if (!joined) throw new Error('the bedroom never sounded along');
        // From a second after its first sound (a start's error taken out), each 0.5 s.
        for (let at = asked + joined.first + 1; at + 0.5 <= asked + joined.first + 1 + ALONG_SECONDS; at += 0.5) {
          const offset = roomOffset(pcm, at, 0.5);
          if (offset && offset.strength > 0.5) alongOffsets.push(offset.ms);
          else alongUnmatched++;
        }
      }
      for (const { from, start, end } of windows) {
        // From 2 s before the ask: the sender's last second and more is in it; the receiver was silent then.
        const slice = pcm.subarray(Math.round((start - 2) * ROOM_RATE) * 4, Math.round(end * ROOM_RATE) * 4);
        const sender = soundSpan(slice, from);
        const receiver = soundSpan(slice, from === 0 ? 1 : 0);
        if (!sender || !receiver) throw new Error('a room was silent through a handoff');
        silences.push((receiver.first - sender.last) * 1000);
        const last = placeInSong(slice, from, sender.last - 1.1, song.samples);
        const first = placeInSong(slice, from === 0 ? 1 : 0, receiver.first + 0.1, song.samples);
        jumps.push((first.songSecond - (receiver.first + 0.1) - (last.songSecond - (sender.last - 1.1))) * 1000);
      }
    } finally {
      client.close();
      for (const player of players) player.kill('SIGTERM');
      await sleep(500);
      await daemon.stop();
    }
  } finally {
    rooms.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const p95 = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] as number;
  const abs = (values: number[]): number[] => values.map(Math.abs);
  return [
    `${HANDOFFS} handoffs back and forth between two \`streamtui --headless\` in two recorded rooms of one PulseAudio server (\`remote A send B\`, what S and M send), a 10-minute song playing. Silence: from the sender's last 1 ms over the floor to the receiver's first (negative: both sounded). Jump: where in the song the receiver started against where the sender was (positive: further on).`,
    '',
    table(
      ['measure', 'median ms', 'p95 ms', 'min ms', 'max ms', 'target'],
      [
        [
          'silence between the rooms',
          median(silences).toFixed(1),
          p95(silences).toFixed(1),
          Math.min(...silences).toFixed(1),
          Math.max(...silences).toFixed(1),
          'under 150 ms',
        ],
        [
          'jump in the song (|ms|)',
          median(abs(jumps)).toFixed(1),
          p95(abs(jumps)).toFixed(1),
          Math.min(...abs(jumps)).toFixed(1),
          Math.max(...abs(jumps)).toFixed(1),
          '',
        ],
      ],
    ),
    '',
    `Both rooms at once: ${ALONG_ROUNDS} times, the bedroom stopped is asked to listen along with the kitchen (\`remote bedroom follow kitchen\`, what B in the devices panel sends); the bedroom's offset from the kitchen in each 0.5 s of the ${ALONG_SECONDS} s from a second after its first sound (cross-correlation of the rooms' 1 ms loudness envelopes; positive: the bedroom late), ${alongOffsets.length} windows matched, ${alongUnmatched} not.`,
    '',
    table(
      ['measure', 'median ms', 'p95 ms', 'min ms', 'max ms', 'target'],
      [
        [
          'the bedroom against the kitchen (|ms|)',
          median(abs(alongOffsets)).toFixed(1),
          p95(abs(alongOffsets)).toFixed(1),
          Math.min(...abs(alongOffsets)).toFixed(1),
          Math.max(...abs(alongOffsets)).toFixed(1),
          'median under 5 ms, p95 under 20 ms',
        ],
      ],
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await handoffBench());
