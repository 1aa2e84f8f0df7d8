/**
 * The player's disk cache of 30-second blocks. One folder per song, named by its etag (never by
 * a name the server sent): `<etag>/meta.json` (the song record, each block's SHA-256, when it was
 * last played, the decoder's header of a format that has one) and `<etag>/<index>.blk`. A block is written to a temp file, fsynced and renamed,
 * so a crash leaves either the whole block or nothing; it is hashed again before it is played.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { SongInfo } from '../../common/protocol/records.js';

interface SongMeta {
  song: SongInfo;
  /** Block index -> SHA-256 of the block on disk. */
  blocks: Record<string, string>;
  lastPlayed: number;
  /** What the song's decoder needs before a block (docs/protocol.md, `header`), base64, when it needs any. */
  header?: string;
}

const ETAG = /^[0-9a-f]{16}$/;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** All of `chunks` to `handle`, in order: a write of several buffers, again for what a short one left. */
async function writeAll(handle: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  const rest = chunks.filter((chunk) => chunk.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    if (bytesWritten === 0) throw new Error('the disk took none of a block');
    while (rest.length > 0 && bytesWritten >= (rest[0] as Buffer).length)
      bytesWritten -= (rest.shift() as Buffer).length;
    if (rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(bytesWritten);
  }
}

/**
 * Whether a temp file is a crash's leftover: its writer (the pid in its name) is gone. Another
 * player on this machine may share the cache (a full-screen player and the one it hands its music
 * to on quitting): what it is writing now is not removed under it.
 */
function leftover(name: string): boolean {
  const pid = Number(/\.(\d+)(?:\.\d+\.spill)?\.tmp$/.exec(name)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class CacheFullError extends Error {
  override name = 'CacheFullError';
}

export class BlockCache {
  private readonly songs = new Map<string, SongMeta>();
  /** Bytes of block files, kept up to date as blocks come and go. */
  private bytes = 0;
  /** Spill files handed out this run (each name its own). */
  private spills = 0;
  private readonly saving = new Map<string, Promise<void>>();

  /** @param report told of a metadata write that failed (the block itself stays good to play). */
  constructor(
    readonly dir: string,
    private readonly capBytes: number,
    private readonly report: (text: string) => void = () => {},
  ) {}

  /** Reads what is on disk; removes leftover temp files and songs whose metadata is unreadable. */
  init(): void {
    mkdirSync(this.dir, { recursive: true });
    for (const name of readdirSync(this.dir)) {
      const folder = path.join(this.dir, name);
      if (!ETAG.test(name)) {
        if (name.endsWith('.tmp') && leftover(name)) rmSync(folder, { force: true, recursive: true });
        continue;
      }
      let meta: SongMeta;
      try {
        meta = JSON.parse(readFileSync(path.join(folder, 'meta.json'), 'utf8')) as SongMeta;
        if (meta.song.etag !== name) throw new Error('etag mismatch');
      } catch {
        rmSync(folder, { recursive: true, force: true });
        continue;
      }
      for (const file of readdirSync(folder)) {
        if (file.endsWith('.tmp') && leftover(file)) rmSync(path.join(folder, file), { force: true });
      }
      for (const index of Object.keys(meta.blocks)) {
        const size = statSync(this.blockPath(name, Number(index)), { throwIfNoEntry: false })?.size;
        if (size === undefined) delete meta.blocks[index];
        else this.bytes += size;
      }
      this.songs.set(name, meta);
    }
  }

  /** Songs with at least one block on disk: the library when the daemon is away. */
  cachedSongs(): SongInfo[] {
    return [...this.songs.values()].filter((m) => Object.keys(m.blocks).length > 0).map((m) => m.song);
  }

  blocksOf(etag: string): Set<number> {
    return new Set(Object.keys(this.songs.get(etag)?.blocks ?? {}).map(Number));
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /**
   * The block's bytes if they are on disk and match their hash; a bad block is removed (it will
   * be fetched again). Read in one synchronous call: this is the cached play's way to its first
   * sound, and fs.promises.readFile is four thread-pool round trips (open, stat, read, close),
   * each waiting for the event loop and a core: 1-20 ms after a key press against 0.4 ms for a
   * 30 s block of 128 kbit/s MP3 from the page cache (the hash after it is 0.5 ms).
   */
  async read(etag: string, index: number): Promise<Buffer | undefined> {
    const meta = this.songs.get(etag);
    const expected = meta?.blocks[index];
    if (!meta || !expected) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.blockPath(etag, index));
    } catch {
      bytes = Buffer.alloc(0);
    }
    if (sha256(bytes) === expected) return bytes;
    await this.forgetBlock(meta, index);
    return undefined;
  }

  /**
   * Stores a block whose hash the caller has checked. `played`: the song is being played; a block
   * fetched ahead (false) does not make its song recent for eviction: it is when it plays (touch).
   * @throws CacheFullError when the disk is full (nothing is left behind).
   */
  async write(
    song: SongInfo,
    index: number,
    hash: string,
    bytes: Buffer | readonly Buffer[],
    played = true,
  ): Promise<void> {
    // A download's chunks are written as they are, not joined first (a copy of the block).
    const chunks = Buffer.isBuffer(bytes) ? [bytes] : bytes;
    const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    await this.install(song, index, hash, size, played, async (target) => {
      const tmp = `${target}.${process.pid}.tmp`;
      try {
        const handle = await open(tmp, 'w');
        try {
          await writeAll(handle, chunks);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, target);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    });
  }

  /**
   * Takes `file` (the whole block, its hash checked by the caller: a download spilled to disk) as
   * the cached block, renamed into place; returns the block's path. Else as `write`.
   * @throws CacheFullError when the disk is full (the file is left to the caller)
   */
  async adopt(song: SongInfo, index: number, hash: string, file: string, size: number, played = true): Promise<string> {
    // Renamed straight into place: at every moment the block is at one of its two names, so a
    // reader behind the download finds it (BlockBuffer.chunk tries both).
    await this.install(song, index, hash, size, played, async (target) => {
      const handle = await open(file, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(file, target);
    });
    return this.blockPath(song.etag, index);
  }

  /**
   * Where a download may spill block `index` of song `etag` while it comes (a temp file in its
   * folder), and where the block will be once cached; undefined for an etag the cache refuses.
   */
  spillPaths(etag: string, index: number): { spill: string; block: string } | undefined {
    if (!ETAG.test(etag)) return undefined;
    mkdirSync(path.join(this.dir, etag), { recursive: true });
    const block = this.blockPath(etag, index);
    return { spill: `${block}.${process.pid}.${++this.spills}.spill.tmp`, block };
  }

  /** A block into place: `fill` makes the temp file, which is renamed to the block; the record follows. */
  private async install(
    song: SongInfo,
    index: number,
    hash: string,
    size: number,
    played: boolean,
    place: (target: string) => Promise<void>,
  ): Promise<void> {
    if (!ETAG.test(song.etag)) throw new Error(`refusing to cache a song with etag '${song.etag}'`);
    const folder = path.join(this.dir, song.etag);
    // Known before the first await: blocks of a new song written at once share one record (each
    // making its own, the last to finish would leave only its block in the record).
    let meta = this.songs.get(song.etag);
    if (!meta) {
      meta = { song, blocks: {}, lastPlayed: played ? Date.now() : 0 };
      this.songs.set(song.etag, meta);
    }
    const target = this.blockPath(song.etag, index);
    try {
      mkdirSync(folder, { recursive: true });
      await place(target);
      const had = meta.blocks[index] !== undefined;
      meta.song = song;
      meta.blocks[index] = hash;
      if (!had) this.bytes += size;
      await this.saveMeta(meta);
    } catch (error) {
      if (Object.keys(meta.blocks).length === 0 && this.songs.get(song.etag) === meta) this.songs.delete(song.etag);
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC' || (error as NodeJS.ErrnoException).code === 'EDQUOT') {
        throw new CacheFullError(`the cache disk is full (${this.dir})`);
      }
      throw error;
    }
    await this.evict(song.etag);
  }

  /** The song's decoder header, if it is on disk. */
  header(etag: string): Buffer | undefined {
    const text = this.songs.get(etag)?.header;
    return text === undefined ? undefined : Buffer.from(text, 'base64');
  }

  /** Keeps the song's decoder header (checked by the caller) with its blocks. */
  async setHeader(song: SongInfo, bytes: Buffer): Promise<void> {
    if (!ETAG.test(song.etag)) throw new Error(`refusing to cache a song with etag '${song.etag}'`);
    let meta = this.songs.get(song.etag);
    if (!meta) {
      meta = { song, blocks: {}, lastPlayed: 0 };
      this.songs.set(song.etag, meta);
    }
    meta.header = bytes.toString('base64');
    mkdirSync(path.join(this.dir, song.etag), { recursive: true });
    await this.saveMeta(meta);
  }

  /** Marks a song as just played: eviction takes the least recently played first. */
  async touch(etag: string): Promise<void> {
    const meta = this.songs.get(etag);
    if (!meta) return;
    meta.lastPlayed = Date.now();
    await this.saveMeta(meta).catch((error: Error) => this.report(`cache: ${etag}: ${error.message}`));
  }

  /** Removes least recently played songs until the cache is under its cap (never `keep`). */
  async evict(keep?: string): Promise<void> {
    if (this.bytes <= this.capBytes) return;
    const byAge = [...this.songs.values()]
      .filter((m) => m.song.etag !== keep)
      .sort((a, b) => a.lastPlayed - b.lastPlayed);
    for (const meta of byAge) {
      if (this.bytes <= this.capBytes) break;
      for (const index of Object.keys(meta.blocks))
        this.bytes -= statSync(this.blockPath(meta.song.etag, Number(index)), { throwIfNoEntry: false })?.size ?? 0;
      this.songs.delete(meta.song.etag);
      await rm(path.join(this.dir, meta.song.etag), { recursive: true, force: true });
    }
  }

  private blockPath(etag: string, index: number): string {
    return path.join(this.dir, etag, `${index}.blk`);
  }

  private async forgetBlock(meta: SongMeta, index: number): Promise<void> {
    const size = statSync(this.blockPath(meta.song.etag, index), { throwIfNoEntry: false })?.size ?? 0;
    this.bytes -= size;
    delete meta.blocks[index];
    await rm(this.blockPath(meta.song.etag, index), { force: true });
    await this.saveMeta(meta).catch((error: Error) => this.report(`cache: ${meta.song.etag}: ${error.message}`));
  }

  /** One save at a time per song, so that an older save never lands after a newer one. */
  private saveMeta(meta: SongMeta): Promise<void> {
    const etag = meta.song.etag;
    const file = path.join(this.dir, etag, 'meta.json');
    // A save that failed was told to its own caller: the next one is written all the same.
    const next = (this.saving.get(etag) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(meta));
        await rename(tmp, file);
      });
    this.saving.set(etag, next);
    return next;
  }
}
