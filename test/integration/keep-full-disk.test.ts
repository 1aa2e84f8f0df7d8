/**
 * What listeners keep, on a full disk (a 64 KiB tmpfs): a sticker change or a playlist that
 * cannot be written is refused with the reason and changes nothing; what was kept reads back
 * whole, and changes are kept again once there is room.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../common/protocol/errors.js';
import { silentLogger } from '../../daemon/log.js';
import { PlaylistStore } from '../../daemon/playlists/playlist-store.js';
import { StickerStore, StickerWriteError } from '../../daemon/stickers/sticker-store.js';

/** A 64 KiB tmpfs (tmpfs gives space a 4 KiB page at a time). */
function tinyDisk(t: { after(fn: () => void): void }): string {
  assert.equal(process.getuid?.(), 0, 'this test mounts a 64 KiB tmpfs and needs root (CI runs as root)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamd-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  t.after(() => {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fills the disk of `dir` to its last page with `filler`; returns a function that frees it. */
function fill(dir: string): () => void {
  const filler = path.join(dir, 'filler');
  try {
    for (;;) writeFileSync(filler, Buffer.alloc(4096), { flag: 'a' });
  } catch {
    // ENOSPC: full
  }
  return () => rmSync(filler);
}

/** Fifteen values of 1,000 bytes: a journal line of several pages, which a full disk cannot take. */
const bigChange = (): Record<string, string> =>
  Object.fromEntries(Array.from({ length: 15 }, (_, k) => [`n${k}`, String(k % 10).repeat(1000)]));

describe('a full disk', () => {
  it('refuses a sticker change it cannot keep, changes nothing, and keeps the next once there is room', async (t) => {
    const dir = tinyDisk(t);
    const store = await StickerStore.open(dir, silentLogger);
    await store.update('song-a', () => ({ rating: '4' }));
    const free = fill(dir);
    await assert.rejects(store.update('song-a', bigChange), (error) => {
      assert.ok(error instanceof StickerWriteError, String(error));
      assert.match(error.message, /ENOSPC/);
      return true;
    });
    assert.deepEqual(store.get('song-a'), { rating: '4' }, 'the refused change left nothing');
    await store.close();
    free();
    const again = await StickerStore.open(dir, silentLogger);
    assert.deepEqual(again.get('song-a'), { rating: '4' }, 'what was kept reads back');
    await again.update('song-a', () => ({ favorite: '2026-12-05T21:30:00Z' }));
    assert.deepEqual(again.get('song-a'), { rating: '4', favorite: '2026-12-05T21:30:00Z' });
    await again.close();
    const lines = readFileSync(path.join(dir, 'stickers.journal'), 'utf8').split('\n').filter(Boolean);
    for (const line of lines) JSON.parse(line); // no part of the refused line left
  });

  it('refuses a playlist it cannot write, keeps the old one whole, and leaves no temporary file', async (t) => {
    const dir = tinyDisk(t);
    const store = await PlaylistStore.open(path.join(dir, 'playlists'));
    await store.change('Kept', () => [{ file: 'a.mp3' }, { file: 'b.mp3' }], { create: true });
    const free = fill(dir);
    const many = Array.from({ length: 500 }, (_, k) => ({ file: `Artist/Album/${k} some long name.mp3` }));
    await assert.rejects(
      store.change('Kept', () => many),
      (error) => {
        assert.ok(error instanceof ProtocolError && error.code === 'io_error', String(error));
        assert.match(error.message, /ENOSPC/);
        return true;
      },
    );
    assert.deepEqual(await store.read('Kept'), ['a.mp3', 'b.mp3']);
    assert.deepEqual(readdirSync(path.join(dir, 'playlists')), ['Kept.m3u8']);
    free();
    await store.change('Kept', () => many);
    assert.equal((await store.read('Kept')).length, 500);
  });
});
