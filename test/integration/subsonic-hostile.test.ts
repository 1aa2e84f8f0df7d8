/**
 * The Subsonic API against what a hostile or broken client sends: ids that walk out of the
 * library, query strings too large or malformed, bodies too large or of another type, 1,000
 * streams at once, a reader that stops reading, the process that scales pictures killed. Each
 * gets the spec's error or a bounded cost, and the daemon serves on.
 */
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import zlib from 'node:zlib';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { testPicture } from '../helpers/fixtures.js';
import { sineWav } from '../helpers/tones.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-subsonic-hostile-'));
const music = path.join(work, 'music');
const MAX_STREAMS = 16;
let daemon: TestDaemon;
/** The same library; a reader that stalls is let go after 2 s. */
let impatient: TestDaemon;
let base: string;
let song: Buffer;
let songId: string;
let bomb: Buffer;
const auth = 'u=eve&p=secret&v=1.16.1&c=hostile&f=json';

async function failure(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; code: number | undefined; message: string }> {
  const response = await fetch(url, init);
  const text = await response.text();
  const parsed = /^\s*\{/.test(text)
    ? (JSON.parse(text) as { 'subsonic-response': { error?: { code: number; message: string } } })
    : undefined;
  const error = parsed?.['subsonic-response'].error;
  // An answer to a request whose format could not be read is XML, the API's default.
  const xml = /<error code="(\d+)" message="([^"]*)"/.exec(text);
  return {
    status: response.status,
    code: error?.code ?? (xml ? Number(xml[1]) : undefined),
    message: error?.message ?? xml?.[2] ?? text.slice(0, 200),
  };
}
async function servesOn(): Promise<void> {
  const answer = (await (await fetch(`${base}/rest/ping?${auth}`)).json()) as {
    'subsonic-response': { status: string };
  };
  assert.equal(answer['subsonic-response'].status, 'ok');
}

/** Width and height of a JPEG, from its frame header. */
function jpegSize(jpeg: Buffer): { width: number; height: number } {
  for (let at = 2; at + 9 < jpeg.length;) {
    const marker = jpeg[at + 1] as number;
    if (marker >= 0xc0 && marker <= 0xc2)
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  throw new Error('no frame header');
}

/** The Subsonic error code of an answer's text. */
function failureOf(text: string): { code?: number } {
  const parsed = JSON.parse(text) as { 'subsonic-response': { error?: { code: number } } };
  return { code: parsed['subsonic-response'].error?.code };
}

/** A picture's width and height alone. */
async function size(answer: Promise<{ width: number; height: number } | { code?: number }>): Promise<unknown> {
  const got = await answer;
  return 'width' in got ? { width: got.width, height: got.height } : got;
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** This process's children that scale pictures (the test daemon runs in this process). */
function pictureProcesses(): number[] {
  const children = readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  return children.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('picture-worker');
    } catch {
      return false; // gone meanwhile
    }
  });
}

before(async () => {
  mkdirSync(music);
  // A minute of CD audio (10 MB): more than the sockets' buffers hold, so a stream not read stays open.
  sineWav(path.join(music, 'long.wav'), 440, 60);
  song = readFileSync(path.join(music, 'long.wav'));
  // A cover that is a decompression bomb: 8,000 x 8,000 pixels (192 MB decoded) in a 100 KB file.
  mkdirSync(path.join(music, 'Bomb'));
  sineWav(path.join(music, 'Bomb', 'tick.wav'), 440, 1);
  bomb = await bombPng(8000);
  writeFileSync(path.join(music, 'Bomb', 'cover.png'), bomb);
  // An ordinary cover, made by ffmpeg: 400 x 400.
  mkdirSync(path.join(music, 'Covered'));
  sineWav(path.join(music, 'Covered', 'tick.wav'), 440, 1);
  testPicture(400, 400, path.join(music, 'Covered', 'cover.jpg'));
  // A folder whose cover comes, changes and goes while the daemon runs.
  mkdirSync(path.join(music, 'Changing'));
  sineWav(path.join(music, 'Changing', 'tick.wav'), 440, 1);
  daemon = await startTestDaemon(music, {
    users: [{ name: 'eve', password: 'secret' }],
    httpMaxStreams: MAX_STREAMS,
  });
  impatient = await startTestDaemon(music, {
    users: [{ name: 'eve', password: 'secret' }],
    limits: { write_stall_timeout: 2 },
  });
  base = `http://127.0.0.1:${daemon.httpPort}`;
  songId = String(daemon.catalog.songAt('long.wav')?.info.id);
});
after(async () => {
  await daemon.stop();
  await impatient.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the Subsonic API under hostile input', () => {
  it('finds nothing outside the library, whatever an id looks like', async () => {
    const ids = [
      '../../../etc/passwd',
      '/etc/passwd',
      '..%2f..%2fetc',
      '1\u0000',
      `${songId}/../..`,
      'dir-0000000000000000',
      'al-../..',
      '-1',
      '1e3',
      'x'.repeat(5000),
    ];
    for (const endpoint of [
      'stream',
      'download',
      'getSong',
      'getCoverArt',
      'getMusicDirectory',
      'getAlbum',
      'getArtist',
      'getLyricsBySongId',
    ]) {
      for (const id of ids) {
        const answer = await failure(`${base}/rest/${endpoint}?${auth}&id=${encodeURIComponent(id)}`);
        assert.deepEqual([answer.status, answer.code], [200, 70], `${endpoint} ${id.slice(0, 30)}: ${answer.message}`);
      }
    }
    await servesOn();
  });

  it('sends a cover too large to decode as it is, and scales none of it', async () => {
    const id = String(daemon.catalog.songAt('Bomb/tick.wav')?.info.id);
    const started = performance.now();
    const response = await fetch(`${base}/rest/getCoverArt?${auth}&id=${id}&size=100`);
    assert.equal(response.headers.get('content-type'), 'image/png');
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(bomb), 'the file as it is');
    assert.ok(performance.now() - started < 10_000);
    await servesOn();
  });

  it(
    'scales covers again after the process that scales them was killed, and that process leaves when quiet',
    { timeout: 60_000 },
    async () => {
      const id = String(daemon.catalog.songAt('Covered/tick.wav')?.info.id);
      const cover = async (size: number): Promise<{ width: number; height: number }> => {
        const response = await fetch(`${base}/rest/getCoverArt?${auth}&id=${id}&size=${size}`);
        assert.equal(response.headers.get('content-type'), 'image/jpeg');
        return jpegSize(Buffer.from(await response.arrayBuffer()));
      };
      assert.deepEqual(await cover(120), { width: 120, height: 120 });
      const [first] = pictureProcesses();
      assert.ok(first, 'a process scales pictures');
      process.kill(first, 'SIGKILL');
      await until(() => !pictureProcesses().includes(first), 5000);
      assert.deepEqual(await cover(90), { width: 90, height: 90 }, 'scaled by a new process');
      const [second] = pictureProcesses();
      assert.ok(second !== undefined && second !== first);
      await until(() => pictureProcesses().length === 0, 20_000);
      assert.deepEqual(pictureProcesses(), [], 'no picture process left once quiet');
      await servesOn();
    },
  );

  it(
    'serves a scaled cover again only while its folder and file are as they were: one added, rewritten, made a symlink, taken away',
    { timeout: 60_000 },
    async () => {
      const id = String(daemon.catalog.songAt('Changing/tick.wav')?.info.id);
      const cover = path.join(music, 'Changing', 'cover.jpg');
      const ask = async (): Promise<{ width: number; height: number; bytes: Buffer } | { code?: number }> => {
        const response = await fetch(`${base}/rest/getCoverArt?${auth}&id=${id}&size=50`);
        if (response.headers.get('content-type') !== 'image/jpeg') return failureOf(await response.text());
        const bytes = Buffer.from(await response.arrayBuffer());
        return { ...jpegSize(bytes), bytes };
      };
      assert.deepEqual(await ask(), { code: 70 }, 'no cover yet');
      testPicture(200, 100, cover);
      assert.deepEqual(await size(ask()), { width: 50, height: 25 }, 'the cover added since');
      // Rewritten in place: the same inode, another picture.
      testPicture(100, 200, path.join(work, 'tall.jpg'));
      writeFileSync(cover, readFileSync(path.join(work, 'tall.jpg')));
      const tall = await ask();
      assert.deepEqual(await size(Promise.resolve(tall)), { width: 25, height: 50 }, 'the cover rewritten');
      // Kept: asked again once the picture process has gone, it is served without one.
      await until(() => pictureProcesses().length === 0, 20_000);
      assert.deepEqual(pictureProcesses(), []);
      assert.deepEqual(await ask(), tall, 'the same cover, the same bytes');
      assert.deepEqual(pictureProcesses(), [], 'served from what was kept');
      // Swapped for a symlink to a picture elsewhere: refused, not the one kept.
      renameSync(cover, path.join(work, 'was-cover.jpg'));
      symlinkSync(path.join(music, 'Covered', 'cover.jpg'), cover);
      const refused = await ask();
      assert.equal('code' in refused && refused.code, 0, 'a symlink is not followed');
      rmSync(cover);
      assert.deepEqual(await ask(), { code: 70 }, 'the cover taken away');
      await servesOn();
    },
  );

  it('refuses a query string too large, a body too large or of another type, and reads malformed ones as the spec does', async () => {
    const huge = await fetch(`${base}/rest/ping?${auth}&junk=${'a'.repeat(100_000)}`);
    assert.equal(huge.status, 431);
    const form = await failure(`${base}/rest/ping`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${auth}&junk=${'a'.repeat(2 * 1024 * 1024)}`,
    });
    assert.deepEqual([form.status, form.code], [413, 0]);
    const json = await failure(`${base}/rest/ping`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.deepEqual([json.status, json.code], [415, 0]);
    // Broken escapes and empty pairs: read as far as they can be, then the usual checks.
    const broken = await failure(`${base}/rest/getSong?${auth}&&&=&id=%ZZ%&id=%E0%A4%A`);
    assert.deepEqual([broken.status, broken.code], [200, 70]);
    const many = await failure(`${base}/rest/getSong?${auth}${'&id=1'.repeat(1500)}`);
    assert.equal(many.status, 200);
    const negative = await failure(
      `${base}/rest/getAlbumList2?${auth}&type=newest&size=-5&offset=99999999999999999999`,
    );
    assert.equal(negative.code, 0, 'a number too long to be one is refused');
    // Each star is written to disk before the answer: one request holds at most 500.
    const stars = await failure(`${base}/rest/star?${auth}${`&id=${songId}`.repeat(501)}`);
    assert.deepEqual([stars.code, /at most 500/.test(stars.message)], [0, true]);
    const notPage = await fetch(`${base}/../../etc/passwd`);
    assert.equal(notPage.status, 404);
    await servesOn();
  });

  it(
    'sends 1,000 streams asked at once whole, or refuses them as busy; none is cut',
    { timeout: 120_000 },
    async () => {
      // 1,000 connections, each asking for the song and reading only the answer's head: the streams
      // given stay open (the song is larger than the sockets' buffers), so the daemon holds as many
      // as it sends at once, and must refuse the rest.
      const clients = await Promise.all(
        Array.from({ length: 1000 }, () => rawRequest(daemon.httpPort as number, `/rest/stream?${auth}&id=${songId}`)),
      );
      const streams = clients.filter((client) => client.head.includes('content-type: audio/'));
      const refused = clients.filter((client) => !client.head.includes('content-type: audio/'));
      assert.equal(streams.length, MAX_STREAMS);
      assert.equal(daemon.server.services.httpStreams(), MAX_STREAMS);
      for (const client of refused) {
        const answer = JSON.parse((await client.rest()).toString()) as {
          'subsonic-response': { error: { code: number; message: string } };
        };
        assert.equal(answer['subsonic-response'].error.code, 0);
        assert.match(answer['subsonic-response'].error.message, /^busy: 16 songs are being sent/);
      }
      // Every stream that was begun ends whole.
      for (const client of streams) assert.ok(song.equals(await client.rest()), 'a stream is whole');
      assert.equal(daemon.server.services.httpStreams(), 0);
      await servesOn();
    },
  );

  it('lets go of a reader that stopped reading, and the stream it held', { timeout: 60_000 }, async () => {
    const socket = net.connect({ port: impatient.httpPort as number, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // reads nothing: the daemon's writes stall once the buffers are full
    socket.write(`GET /rest/stream?${auth}&id=${songId} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(impatient.server.services.httpStreams(), 1);
    // The daemon's side: the stream ends once nothing moved for write_stall_timeout (a paused
    // socket does not read the reset, so the client's side is not what tells).
    while (impatient.server.services.httpStreams() > 0 && performance.now() - started < 15_000)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(performance.now() - started < 15_000, 'let go within 15 s');
    socket.destroy();
    assert.equal(impatient.server.services.httpStreams(), 0);
    await servesOn();
  });
});

/**
 * One HTTP/1.1 request on a connection of its own, whose answer's head is read and the rest left
 * in the socket until `rest()` reads it (by its content-length).
 */
async function rawRequest(port: number, target: string): Promise<{ head: string; rest(): Promise<Buffer> }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  let buffered: Buffer = Buffer.alloc(0);
  const head = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const text = buffered.subarray(0, end).toString('latin1').toLowerCase();
      buffered = buffered.subarray(end + 4);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before an answer')));
  });
  const length = Number(/content-length: (\d+)/.exec(head)?.[1] ?? 0);
  return {
    head,
    rest: () =>
      new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [buffered];
        let have = buffered.length;
        const finish = (): void => {
          socket.destroy();
          resolve(Buffer.concat(parts));
        };
        if (have >= length) return finish();
        socket.on('data', (chunk: Buffer) => {
          parts.push(chunk);
          have += chunk.length;
          if (have >= length) finish();
        });
        socket.once('close', finish);
        socket.resume();
      }),
  };
}

/** A grey PNG of `side` x `side` pixels, its rows all zeros: a few KB that decode to side² x 3 bytes. */
async function bombPng(side: number): Promise<Buffer> {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  // Row by row through a deflate stream: the 192 MB are never held at once.
  const row = Buffer.alloc(1 + side * 3);
  const deflate = zlib.createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const ended = new Promise((resolve) => deflate.once('end', resolve));
  for (let y = 0; y < side; y++) deflate.write(row);
  deflate.end();
  await ended;
  const idat = Buffer.concat(parts);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
