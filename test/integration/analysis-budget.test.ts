/**
 * The analysis of a library file has a budget. WAV headers and tags are read
 * with the project's own bounded walk; the MP3 frame walk streams the file in windows, so that no
 * file, however large or strange, becomes a buffer of its size; and a time budget skips a file
 * that takes too long.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeWav } from '../../daemon/demo/encode.js';
import { analyzeFile, type Analysis } from '../../daemon/catalog/analyze.js';
import { readWavTags } from '../../daemon/catalog/wav-tags.js';
import type { FoundFile } from '../../daemon/catalog/walk.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';

let library: FixtureLibrary;
let dir: string;
before(() => {
  library = makeFixtureLibrary();
  dir = mkdtempSync(path.join(os.tmpdir(), 'streamd-budget-'));
});
after(() => {
  library.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const found = (file: string): FoundFile => {
  const info = statSync(file);
  return {
    rel: path.basename(file),
    abs: file,
    format: file.endsWith('.wav') ? 'wav' : 'mp3',
    stamp: { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino },
  };
};
const chunk = (id: string, body: Buffer): Buffer => {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
};
const riff = (chunks: Buffer[]): Buffer => {
  const body = Buffer.concat([Buffer.from('WAVE'), ...chunks]);
  const header = Buffer.from('RIFF\0\0\0\0');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
};
/** A PCM WAV's fmt and data chunks, from the demo encoder. */
const pcm = (): { fmt: Buffer; data: Buffer } => {
  const wav = encodeWav({ sampleRate: 8000, channels: [new Int16Array(800).fill(3000)] });
  return { fmt: wav.subarray(12, 12 + 8 + 16), data: wav.subarray(12 + 8 + 16) };
};
const rssGrowth = async (work: () => Promise<unknown>): Promise<number> => {
  const before = process.memoryUsage().rss;
  await work();
  return process.memoryUsage().rss - before;
};

describe('the analysis budget', () => {
  it('reads a WAV’s LIST INFO and id3 tags with its own walk, and reads few chunk headers of a file made of empty chunks', async () => {
    const info = chunk(
      'LIST',
      Buffer.concat([
        Buffer.from('INFO'),
        chunk('INAM', Buffer.from('Title One\0')),
        chunk('IART', Buffer.from('Artista Ção\0')),
        chunk('IPRD', Buffer.from('Album\0')),
      ]),
    );
    const { fmt, data } = pcm();
    const file = path.join(dir, 'tagged.wav');
    writeFileSync(file, riff([fmt, data, info]));
    const analysis = await analyzeFile(found(file));
    assert.ok(analysis.ok, analysis.ok ? '' : analysis.reason);
    assert.deepEqual(
      [analysis.song.info.title, analysis.song.info.artist, analysis.song.info.album],
      ['Title One', 'Artista Ção', 'Album'],
    );

    // 100,000 empty chunks after the data: the walk stops after 64.
    const hostile = riff([fmt, data, Buffer.alloc(800_000)]);
    let reads = 0;
    const tags = await readWavTags(async (position, length) => {
      reads++;
      return hostile.subarray(position, position + length);
    }, hostile.length);
    assert.deepEqual(tags, {});
    assert.ok(reads <= 64, `${reads} reads`);
  });

  it('a WAV whose data chunk says size 0, followed by 4 MB of zeros, is analysed at once as audio to the end', async () => {
    const { fmt } = pcm();
    const file = path.join(dir, 'zero-size.wav');
    writeFileSync(file, riff([fmt, Buffer.from('data\0\0\0\0'), Buffer.alloc(4 * 1024 * 1024)]));
    const analysis = await analyzeFile(found(file));
    assert.ok(analysis.ok, analysis.ok ? '' : analysis.reason);
    assert.ok(Math.abs(analysis.song.info.duration - (4 * 1024 * 1024) / 2 / 8000) < 0.01);
  });

  it('a 500 MB sparse .mp3 of nothing is skipped without being read into memory', async () => {
    const file = path.join(dir, 'sparse.mp3');
    closeSync(openSync(file, 'w'));
    truncateSync(file, 500 * 1024 * 1024);
    let analysis;
    const grown = await rssGrowth(async () => (analysis = await analyzeFile(found(file))));
    assert.deepEqual(analysis, { ok: false, reason: 'no MPEG audio frames found' });
    assert.ok(grown < 50 * 1024 * 1024, `RSS grew by ${(grown / 1e6).toFixed(0)} MB`);
  });

  it('a real MP3 followed by 500 MB of sparse zeros is walked to its end in a fixed buffer', async () => {
    const song = readFileSync(path.join(library.root, 'lamejs-cbr.mp3'));
    const file = path.join(dir, 'long-tail.mp3');
    const fd = openSync(file, 'w');
    writeSync(fd, song);
    closeSync(fd);
    truncateSync(file, 500 * 1024 * 1024);
    let analysis: Analysis | undefined;
    const grown = await rssGrowth(async () => (analysis = await analyzeFile(found(file))));
    const reference = await analyzeFile(found(path.join(library.root, 'lamejs-cbr.mp3')));
    assert.ok(analysis?.ok && reference.ok);
    assert.equal(analysis.song.info.duration, reference.song.info.duration);
    assert.deepEqual(analysis.song.blocks, reference.song.blocks);
    assert.match(analysis.warning ?? '', /bytes after the last complete frame are not served/);
    assert.ok(grown < 50 * 1024 * 1024, `RSS grew by ${(grown / 1e6).toFixed(0)} MB`);
  });

  it('a file that takes longer than its time budget is skipped with the reason', async () => {
    const file = path.join(dir, 'long-tail.mp3');
    const analysis = await analyzeFile(found(file), 1);
    assert.deepEqual(analysis, { ok: false, reason: 'the analysis ran out of its time budget; skipped' });
  });
});
