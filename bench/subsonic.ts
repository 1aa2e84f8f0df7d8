/**
 * The Subsonic API beside Debian's supysonic (waitress, 8 threads) on the same library and
 * machine, one after the other under the same load: `getAlbumList2`, `search3` and `getCoverArt`
 * latency (median, p99) with 1 client and with 50 at once (covers at 300 pixels, which streamd
 * makes ahead after a scan, and at 250, which both scale when first asked); `stream` throughput
 * (50 songs at once, whole files); each server's RSS 5 s after, with its child processes (streamd
 * started as its command starts it, on a catalog it stored: supysonic's server, too, reads a
 * library scanned before). Then streamd's transcoding to MP3 at 128 kb/s and to Opus at 96 of a
 * three-minute FLAC: time to the first byte and speed against real time; beside it, lamejs (which
 * the project has) encoding the same sound in-process, which is why ffmpeg was chosen.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Mp3Encoder } from '@breezystack/lamejs';
import { startSupysonic } from '../test/helpers/supysonic.js';
import { benchLibrary, freePort, median, missingTools, spawnDaemon, table, treeRssMiB } from './lib.js';

const USER = { name: 'bench', password: 'bench-password' };
const SOLO_REQUESTS = 200;
const CROWD = 50;
const CROWD_REQUESTS = 10;
/** RSS is read this long after the load (the server and the processes it started). */
const SETTLE_MS = 5000;

interface Target {
  name: string;
  base: string;
  pid: number;
}

const query = (params: Record<string, string>): string =>
  new URLSearchParams({ u: USER.name, p: USER.password, v: '1.16.1', c: 'bench', f: 'json', ...params }).toString();

async function json(target: Target, method: string, params: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(`${target.base}/rest/${method}?${query(params)}`);
  return ((await response.json()) as { 'subsonic-response': Record<string, unknown> })['subsonic-response'];
}

/** Each request's time (ms) with `clients` asking at once, `each` requests apiece. */
async function latencies(clients: number, each: number, request: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < each; i++) {
        const started = performance.now();
        await request();
        times.push(performance.now() - started);
      }
    }),
  );
  return times;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const ms = (values: number[]): string => `${median(values).toFixed(1)} / ${percentile(values, 99).toFixed(1)}`;

/**
 * A cover in every album folder: ffmpeg's test picture (600x600 JPEG), made distinct in each by a
 * comment segment after its start, so that no cache of pictures by their bytes serves one for another.
 */
function addCovers(music: string): void {
  const picture = path.join(os.tmpdir(), 'streamd-bench-cover.jpg');
  if (!existsSync(picture))
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=600x600', '-frames:v', '1', '-y', picture]);
  const jpeg = readFileSync(picture);
  for (const artist of readdirSync(music).filter((name) => name !== 'Transcode'))
    for (const album of readdirSync(path.join(music, artist))) {
      const cover = path.join(music, artist, album, 'cover.jpg');
      if (existsSync(cover)) continue;
      const text = Buffer.from(`${artist} / ${album}`);
      const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, text.length + 2]), text]);
      writeFileSync(cover, Buffer.concat([jpeg.subarray(0, 2), comment, jpeg.subarray(2)]));
    }
}

/** The library's album folders with a cover file. */
const countCovers = (music: string): number =>
  readdirSync(music, { recursive: true, encoding: 'utf8' }).filter((file) => path.basename(file) === 'cover.jpg')
    .length;

async function measure(target: Target): Promise<Array<string | number>[]> {
  const albums = (
    (await json(target, 'getAlbumList2', { type: 'alphabeticalByName', size: '500' }))['albumList2'] as {
      album: Array<{ id: string; coverArt: string }>;
    }
  ).album;
  const songs = (
    (await json(target, 'search3', { query: 'Song', songCount: '500', albumCount: '0', artistCount: '0' }))[
      'searchResult3'
    ] as { song: Array<{ id: string; size: number }> }
  ).song;
  let n = 0;
  const get = (method: string, params: () => Record<string, string>) => async () => {
    const response = await fetch(`${target.base}/rest/${method}?${query(params())}`);
    await response.arrayBuffer();
  };
  const requests: Array<[string, () => Promise<void>]> = [
    ['getAlbumList2 (newest, 50)', get('getAlbumList2', () => ({ type: 'newest', size: '50' }))],
    ['search3 ("song 1", 20 of each)', get('search3', () => ({ query: `Song ${1 + (n++ % 9)}` }))],
    [
      'getCoverArt (size 300)',
      get('getCoverArt', () => ({ id: albums[n++ % albums.length]?.coverArt ?? '', size: '300' })),
    ],
    [
      'getCoverArt (size 250: scaled when asked)',
      get('getCoverArt', () => ({ id: albums[n++ % albums.length]?.coverArt ?? '', size: '250' })),
    ],
  ];
  const rows: Array<Array<string | number>> = [];
  for (const [name, request] of requests) {
    await latencies(1, 20, request); // warm
    const solo = await latencies(1, SOLO_REQUESTS, request);
    const crowd = await latencies(CROWD, CROWD_REQUESTS, request);
    rows.push([target.name, name, ms(solo), ms(crowd)]);
  }
  // Stream: 50 different songs at once, whole.
  const started = performance.now();
  const sizes = await Promise.all(
    songs.slice(0, CROWD).map(async (song) => {
      const response = await fetch(`${target.base}/rest/stream?${query({ id: song.id, format: 'raw' })}`);
      return (await response.arrayBuffer()).byteLength;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const mib = sizes.reduce((a, b) => a + b, 0) / 2 ** 20;
  rows.push([
    target.name,
    `stream (${CROWD} songs at once, ${mib.toFixed(0)} MiB)`,
    `${(mib / seconds).toFixed(0)} MiB/s`,
    '',
  ]);
  // What the server holds once the load is over: both measured alike, a few seconds after it.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  rows.push([target.name, `RSS ${SETTLE_MS / 1000} s after`, `${treeRssMiB(target.pid).toFixed(0)} MiB`, '']);
  return rows;
}

async function transcoding(target: Target, flacId: string, seconds: number): Promise<Array<Array<string | number>>> {
  const rows: Array<Array<string | number>> = [];
  for (const [format, kbps] of [
    ['mp3', 128],
    ['opus', 96],
  ] as const) {
    const firsts: number[] = [];
    const speeds: number[] = [];
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      const response = await fetch(
        `${target.base}/rest/stream?${query({ id: flacId, format, maxBitRate: String(kbps) })}`,
      );
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let first = 0;
      for (;;) {
        const { done } = await reader.read();
        if (!first) first = performance.now() - started;
        if (done) break;
      }
      firsts.push(first);
      speeds.push(seconds / ((performance.now() - started) / 1000));
    }
    rows.push([
      `streamd: ffmpeg to ${format} ${kbps} kb/s`,
      `${median(firsts).toFixed(0)} ms`,
      `${median(speeds).toFixed(0)}x`,
    ]);
  }
  return rows;
}

/** lamejs encoding `seconds` of stereo sound at 128 kb/s in this process: its speed against real time. */
function lamejsSpeed(seconds: number): number {
  const frames = 44100 * seconds;
  const left = new Int16Array(frames).map((_, i) => Math.round(8000 * Math.sin(i / 20)));
  const right = left.slice();
  const encoder = new Mp3Encoder(2, 44100, 128);
  const started = performance.now();
  for (let i = 0; i < frames; i += 1152 * 8)
    encoder.encodeBuffer(left.subarray(i, i + 1152 * 8), right.subarray(i, i + 1152 * 8));
  encoder.flush();
  return seconds / ((performance.now() - started) / 1000);
}

export async function subsonicBench(): Promise<string> {
  const missing = missingTools(['supysonic-server', 'supysonic-cli', 'ffmpeg', 'flac', 'sox']);
  if (missing.length > 0) return `Not run: ${missing.join(', ')} missing (the CI script installs them).`;
  // The shared library of 2,000 songs, hard-linked into a folder of this benchmark's own, where
  // the covers and the FLAC are added (the other benchmarks count its files).
  const music = path.join(os.tmpdir(), 'streamd-bench-subsonic-library');
  if (!existsSync(music)) execFileSync('cp', ['-al', benchLibrary(2000, 20), music]);
  addCovers(music);
  // A three-minute FLAC beside them, for transcoding.
  const flacDir = path.join(music, 'Transcode', 'FLAC');
  const flac = path.join(flacDir, 'three minutes.flac');
  if (!existsSync(flac)) {
    execFileSync('mkdir', ['-p', flacDir]);
    const wav = path.join(os.tmpdir(), 'streamd-bench-3min.wav');
    execFileSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '180', 'pinknoise', 'vol', '0.3']);
    execFileSync('flac', ['--silent', '-f', '-o', flac, wav]);
    rmSync(wav);
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-subsonic-'));
  try {
    const config = path.join(work, 'streamd.json');
    writeFileSync(config, JSON.stringify({ users: [USER] }));
    chmodSync(config, 0o600);
    const httpPort = await freePort();
    const args = ['--config', config, '--http-port', String(httpPort)];
    // Both servers serve a library scanned before they started (supysonic's is in its database):
    // streamd scans it once, and makes its covers at 300 pixels, as it does after a scan; then it
    // starts again on its stored catalog and covers.
    const scanned = await spawnDaemon(music, path.join(work, 'state'), await freePort(), args);
    const covers = path.join(work, 'state', 'covers');
    const albums = countCovers(music);
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;)
      if (existsSync(covers) && readdirSync(covers).length >= albums) break;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    await scanned.stop();
    const daemon = await spawnDaemon(music, path.join(work, 'state'), await freePort(), args);
    const rows: Array<Array<string | number>> = [];
    let transcodeRows: Array<Array<string | number>> = [];
    try {
      const streamd: Target = {
        name: 'streamd',
        base: `http://127.0.0.1:${httpPort}`,
        pid: daemon.child.pid as number,
      };
      rows.push(...(await measure(streamd)));
      const found = (await json(streamd, 'search3', { query: 'three minutes' }))['searchResult3'] as {
        song: Array<{ id: string }>;
      };
      transcodeRows = await transcoding(streamd, found.song[0]?.id as string, 180);
    } finally {
      await daemon.stop();
    }
    const supysonic = await startSupysonic(music, USER);
    try {
      rows.push(
        ...(await measure({
          name: 'supysonic',
          base: `http://127.0.0.1:${supysonic.port}`,
          pid: supysonic.process.pid as number,
        })),
      );
    } finally {
      await supysonic.stop();
    }
    transcodeRows.push(['lamejs in the daemon (for comparison)', '', `${lamejsSpeed(60).toFixed(0)}x`]);
    const library =
      '2,000 MP3 of 20 s (copies of one lame encoding, distinct tags), a 600x600 JPEG cover in each album folder';
    return [
      `Library: ${library}. Latency in ms, median / p99; "50 at once": 50 clients, 10 requests each.`,
      table(['server', 'request', '1 client', '50 at once'], rows),
      'Transcoding a three-minute FLAC (pink noise), 3 runs, medians:',
      table(['encoder', 'first byte', 'speed'], transcodeRows),
    ].join('\n\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
