import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BlockCache, CacheFullError } from '../../tui/cache/block-cache.js';
import { song } from '../helpers/songs.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'streamtui-cache-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => path.join(base, `c${n++}`);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const bytes = (size: number, fill: number): Buffer => Buffer.alloc(size, fill);

describe('BlockCache', () => {
  it('stores blocks and reads them back after a restart', async () => {
    const dir = freshDir();
    const cache = new BlockCache(dir, 10 * 2 ** 20);
    cache.init();
    const block = bytes(1000, 7);
    await cache.write(song(1), 0, sha(block), block);
    await cache.write(song(1), 2, sha(block), block);
    const again = new BlockCache(dir, 10 * 2 ** 20);
    again.init();
    assert.deepEqual(await again.read(song(1).etag, 0), block);
    assert.deepEqual([...again.blocksOf(song(1).etag)].sort(), [0, 2]);
    assert.equal(again.totalBytes, 2000);
    assert.deepEqual(
      again.cachedSongs().map((s) => s.id),
      [1],
    );
    assert.equal(await again.read(song(1).etag, 1), undefined);
  });

  it("stores a block given in a download's chunks as the block they make", async () => {
    const dir = freshDir();
    const cache = new BlockCache(dir, 10 * 2 ** 20);
    cache.init();
    const chunks = [bytes(70_000, 1), bytes(0, 0), bytes(3, 2), bytes(65_536, 3)];
    const block = Buffer.concat(chunks);
    await cache.write(song(3), 0, sha(block), chunks);
    assert.deepEqual(await cache.read(song(3).etag, 0), block);
    assert.equal(cache.totalBytes, block.length);
  });

  it('keeps every block of a new song written at once (blocks over UDP arrive together)', async () => {
    const dir = freshDir();
    const cache = new BlockCache(dir, 10 * 2 ** 20);
    cache.init();
    const blocks = [bytes(3000, 1), bytes(2000, 2), bytes(1000, 3)];
    await Promise.all(blocks.map((block, index) => cache.write(song(5), index, sha(block), block)));
    assert.deepEqual([...cache.blocksOf(song(5).etag)].sort(), [0, 1, 2]);
    const again = new BlockCache(dir, 10 * 2 ** 20);
    again.init();
    assert.deepEqual([...again.blocksOf(song(5).etag)].sort(), [0, 1, 2], 'and so does its record on disk');
    assert.equal(again.totalBytes, 6000);
  });

  it('drops a block whose bytes no longer match their hash, so it is fetched again', async () => {
    const dir = freshDir();
    const cache = new BlockCache(dir, 10 * 2 ** 20);
    cache.init();
    const block = bytes(500, 1);
    await cache.write(song(2), 0, sha(block), block);
    writeFileSync(path.join(dir, song(2).etag, '0.blk'), bytes(500, 2)); // bit rot
    assert.equal(await cache.read(song(2).etag, 0), undefined);
    assert.equal(cache.blocksOf(song(2).etag).size, 0);
    assert.equal(existsSync(path.join(dir, song(2).etag, '0.blk')), false);
  });

  it("removes a crash's temp files and unreadable songs at start, not another player's write under way", () => {
    const dir = freshDir();
    mkdirSync(path.join(dir, song(3).etag), { recursive: true });
    writeFileSync(path.join(dir, song(3).etag, 'meta.json'), '{ broken');
    mkdirSync(path.join(dir, song(4).etag), { recursive: true });
    writeFileSync(
      path.join(dir, song(4).etag, 'meta.json'),
      JSON.stringify({ song: song(4), blocks: { 0: 'x', 1: 'y' }, lastPlayed: 1 }),
    );
    writeFileSync(path.join(dir, song(4).etag, '0.blk'), 'x');
    // A crashed player's half block (its pid gone), and another player's write under way (its pid alive).
    const gone = spawnSync('true').pid;
    writeFileSync(path.join(dir, song(4).etag, `1.blk.${gone}.tmp`), 'half');
    writeFileSync(path.join(dir, song(4).etag, `meta.json.${gone}.tmp`), '{');
    writeFileSync(path.join(dir, song(4).etag, `2.blk.${process.ppid}.tmp`), 'being written');
    writeFileSync(path.join(dir, 'stray.tmp'), 'x');
    const cache = new BlockCache(dir, 2 ** 20);
    cache.init();
    assert.equal(existsSync(path.join(dir, song(3).etag)), false);
    assert.deepEqual(readdirSync(path.join(dir, song(4).etag)).sort(), [
      '0.blk',
      `2.blk.${process.ppid}.tmp`,
      'meta.json',
    ]);
    assert.deepEqual([...cache.blocksOf(song(4).etag)], [0], 'a block whose file is gone is forgotten');
    assert.equal(existsSync(path.join(dir, 'stray.tmp')), false);
  });

  it('evicts the least recently played songs past its cap, never the one being written; a block fetched ahead is not a play', async () => {
    const cache = new BlockCache(freshDir(), 2500);
    cache.init();
    const block = bytes(1000, 3);
    const kept = (): number[] =>
      cache
        .cachedSongs()
        .map((s) => s.id)
        .sort();
    await cache.write(song(5), 0, sha(block), block);
    await new Promise((r) => setTimeout(r, 5));
    await cache.write(song(6), 0, sha(block), block);
    await cache.touch(song(5).etag); // 5 played more recently than 6
    await cache.write(song(7), 0, sha(block), block);
    assert.deepEqual(kept(), [5, 7]);
    assert.ok(cache.totalBytes <= 2500);
    await cache.write(song(8), 0, sha(block), block, false); // the cursor rested on it: the newest, not played
    await cache.write(song(9), 0, sha(block), block);
    assert.deepEqual(kept(), [7, 9], 'the song fetched ahead went before 7, played earlier');
  });

  it('never builds a path from anything but a well-formed etag', async () => {
    const cache = new BlockCache(freshDir(), 2 ** 20);
    cache.init();
    await assert.rejects(cache.write(song(8, { etag: '../../etc' }), 0, 'x', bytes(1, 0)), /refusing/);
  });

  it('says the disk is full and leaves nothing behind', async (t) => {
    assert.equal(process.getuid?.(), 0, 'this test mounts a 256 KiB tmpfs and needs root (CI runs as root)');
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
    t.after(() => execFileSync('umount', [dir]));
    const cache = new BlockCache(dir, 10 * 2 ** 20);
    cache.init();
    const small = bytes(100 * 1024, 4);
    await cache.write(song(9), 0, sha(small), small);
    const big = bytes(300 * 1024, 5);
    await assert.rejects(cache.write(song(9), 1, sha(big), big), CacheFullError);
    assert.deepEqual(readdirSync(path.join(dir, song(9).etag)).sort(), ['0.blk', 'meta.json']);
    assert.deepEqual(await cache.read(song(9).etag, 0), small, 'what was cached before is intact');
  });
});
