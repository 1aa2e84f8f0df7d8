/**
 * A block as a download brings it: a chunk that is most of the read under it is kept as it came,
 * a small piece of a larger read is copied (or the block would hold all of that read), and what
 * each holds counts toward the memory bound past which the block spills to its file.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BlockBuffer, MEMORY_BYTES } from '../../tui/playback/block-buffer.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-block-buffer-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const header = (bytes: number, sha256 = '') => ({ index: 0, start: 0, end: 30, bytes, sha256 });
const paths = () => {
  const name = path.join(dir, `b${n++}`);
  return { spill: `${name}.spill.tmp`, block: `${name}.blk` };
};

describe('BlockBuffer', () => {
  it('keeps a chunk that is most of its read, and copies a small piece of a larger one', () => {
    const buffer = new BlockBuffer(header(0), paths());
    const read = Buffer.alloc(64 * 1024, 1);
    const most = read.subarray(100); // a socket's read less the line before the block's bytes
    const piece = Buffer.alloc(64 * 1024, 2).subarray(0, 1000);
    buffer.add(most);
    buffer.add(piece);
    assert.equal(buffer.chunk(0).buffer, read.buffer, 'kept as it came');
    assert.notEqual(buffer.chunk(1).buffer, piece.buffer, 'copied');
    assert.deepEqual(buffer.chunk(1), piece);
    assert.equal(buffer.inMemoryChunks().length, 2);
  });

  it('counts a kept chunk as all the memory under it: the block spills before its bytes reach the bound', () => {
    const read = 1024 * 1024;
    const chunks: Buffer[] = [];
    // Each chunk is 60% of a 1 MiB read: the bytes stay under the bound while the reads pass it.
    for (let i = 0; i * read <= MEMORY_BYTES; i++) chunks.push(Buffer.alloc(read, i).subarray(0, 0.6 * read));
    const whole = Buffer.concat(chunks);
    const buffer = new BlockBuffer(header(whole.length, createHash('sha256').update(whole).digest('hex')), paths());
    for (const chunk of chunks) buffer.add(chunk);
    assert.ok(buffer.received < MEMORY_BYTES, `${buffer.received} bytes, under the bound`);
    assert.ok(buffer.spilled, 'spilled: the memory held passed the bound');
    // The block whole, in order, from its file and memory alike, and its hash as it came.
    assert.ok(buffer.finish());
    const file = buffer.completeFile();
    assert.ok(file);
    assert.deepEqual(readFileSync(file), whole);
  });
});
