/**
 * A block as a download brings it: its chunks as they come (kept for readers behind the download),
 * hashed on the way, and who waits for the next change. A block larger than MEMORY_BYTES (a WAV of
 * a high rate, a hostile daemon's) is spilled to a file beside the cache as it comes: its older
 * chunks leave memory and are read back from the file, so a block costs the player at most that
 * much memory, whatever its size. Chunks are written to the file in order, so a spilled block's file
 * becomes the cached block once the rest is appended (BlockCache.adopt renames it into place).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, openSync, readSync, rmSync } from 'node:fs';
import type { SongInfo } from '../../common/protocol/records.js';
import type { BlockHeader } from '../../common/protocol/response.js';
import { BLOCK_SECONDS } from '../../common/limits.js';
import { waitOrAbort } from './block-source.js';

/** Bytes of one block held in memory at the most; past it, older chunks live in the spill file. */
export const MEMORY_BYTES = 4 * 1024 * 1024;
/** The densest compressed audio a block may hold: MPEG's free format tops out near 640 kbit/s. */
const COMPRESSED_BYTES_PER_SECOND = 640_000 / 8;
/** Room for a container's headers and a frame that runs over the block's end. */
const BLOCK_SLACK_BYTES = 256 * 1024;

/**
 * A FLAC frame of noise is its samples as they are (verbatim), and the block's last frame may run
 * up to 65535 samples past its window.
 */
const FLAC_OVERRUN_SAMPLES = 65535;
/** Vorbis and Opus top out near 500 kbit/s for two channels: a quarter of a megabit a channel. */
const OGG_BITS_PER_CHANNEL_SECOND = 256_000;

/** The most bytes a 30-second block of `song` can hold, by its format: a larger one is refused. */
export function maxBlockBytes(song: SongInfo): number {
  const pcmPerSecond = song.sampleRate * song.channels * Math.ceil((song.bits ?? 16) / 8);
  const most =
    song.format === 'wav'
      ? pcmPerSecond * BLOCK_SECONDS
      : song.format === 'm4a' // ALAC at worst stores its samples as they are, and a frame runs over
        ? pcmPerSecond * (BLOCK_SECONDS + 1)
        : song.format === 'flac'
          ? pcmPerSecond * (BLOCK_SECONDS + FLAC_OVERRUN_SAMPLES / song.sampleRate)
          : song.format === 'ogg' || song.format === 'opus'
            ? Math.max(COMPRESSED_BYTES_PER_SECOND, (OGG_BITS_PER_CHANNEL_SECOND / 8) * song.channels) * BLOCK_SECONDS
            : COMPRESSED_BYTES_PER_SECOND * BLOCK_SECONDS;
  return Math.min(song.bytes, Math.ceil(most) + BLOCK_SLACK_BYTES);
}

/** Takes `item` out of `list`, if it is there. */
export function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

export class BlockBuffer {
  /** The chunks in order: in memory, or (undefined) spilled to the file, at `offsets`. */
  private readonly chunks: Array<Buffer | undefined> = [];
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];
  /** The memory each chunk holds: a chunk kept as it came holds all of the read under it. */
  private readonly held: number[] = [];
  private inMemory = 0;
  /** Bytes written to the spill file (the first ones of the block, in order). */
  private spilledBytes = 0;
  private firstInMemory = 0;
  private spillFailed = false;
  received = 0;
  done = false;
  failed: Error | undefined;
  private readonly hash = createHash('sha256');
  private waiters: Array<() => void> = [];

  /**
   * @param paths where the block goes when it outgrows memory (a temp file beside the cache's
   *   blocks), and where the cache puts it; none: it stays in memory whatever its size.
   */
  constructor(
    readonly header: BlockHeader,
    private readonly paths: { spill: string; block: string } | undefined,
  ) {
    if (!paths) this.spillFailed = true;
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  /** Chunk `i`: from memory, or read back from the spill file. */
  chunk(i: number): Buffer {
    const held = this.chunks[i];
    if (held) return held;
    const bytes = Buffer.allocUnsafe(this.lengths[i] as number);
    const { spill, block } = this.paths as { spill: string; block: string };
    let fd: number;
    try {
      fd = openSync(spill, 'r');
    } catch {
      fd = openSync(block, 'r'); // the cache took it meanwhile (renamed in one step)
    }
    try {
      readSync(fd, bytes, 0, bytes.length, this.offsets[i] as number);
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  add(bytes: Buffer): void {
    // A chunk is kept as it is when it is most of the memory under it (a read of the socket);
    // a small piece of a larger read is copied, or it would hold all of that read.
    const kept = 2 * bytes.length >= bytes.buffer.byteLength;
    const chunk = kept ? bytes : Buffer.from(bytes);
    const held = kept ? bytes.buffer.byteLength : chunk.length;
    this.offsets.push(this.received);
    this.lengths.push(chunk.length);
    this.held.push(held);
    this.chunks.push(chunk);
    this.received += chunk.length;
    this.inMemory += held;
    this.hash.update(chunk);
    if (this.inMemory > MEMORY_BYTES) this.spill();
    this.wake();
  }

  /** Whether the block went to its spill file (then `store` appends the rest and takes the file). */
  get spilled(): boolean {
    return this.spilledBytes > 0;
  }

  /** Older chunks to the file, until the memory held is under the bound. A disk that refuses keeps them. */
  private spill(): void {
    if (this.spillFailed) return;
    try {
      while (this.inMemory > MEMORY_BYTES / 2 && this.firstInMemory < this.chunks.length) {
        const chunk = this.chunks[this.firstInMemory] as Buffer;
        appendFileSync((this.paths as { spill: string }).spill, chunk);
        this.spilledBytes += chunk.length;
        this.inMemory -= this.held[this.firstInMemory] as number;
        this.chunks[this.firstInMemory++] = undefined;
      }
    } catch {
      // A full or failing disk: the block stays in memory as before the spill, and is not cached.
      this.spillFailed = true;
    }
  }

  /**
   * The whole block as one file at `spillPath` (the chunks still in memory appended), for the cache
   * to take; undefined when the block is held in memory (then `bytes()`).
   */
  completeFile(): string | undefined {
    if (!this.spilled || this.spillFailed || !this.paths) return undefined;
    for (let i = this.firstInMemory; i < this.chunks.length; i++)
      appendFileSync(this.paths.spill, this.chunks[i] as Buffer);
    this.spilledBytes = this.received;
    return this.paths.spill;
  }

  /** The whole block from memory, in its chunks (a block that never spilled). */
  inMemoryChunks(): readonly Buffer[] {
    return this.chunks as Buffer[];
  }

  finish(): boolean {
    this.done = true;
    const ok = this.hash.digest('hex') === this.header.sha256;
    if (!ok) this.failed = new Error(`block ${this.header.index} failed its SHA-256 check`);
    this.wake();
    return ok;
  }

  /** Refused before any byte (too large for its song): a hard failure, as a bad hash is. */
  refuse(error: Error): void {
    this.done = true;
    this.failed = error;
    this.wake();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.failed = error;
    this.wake();
  }

  /** The spill file, when the cache did not take it: removed once no reader can want it (a reader behind breaks off and asks again). */
  discard(): void {
    if (!this.spilled || !this.paths) return;
    const path = this.paths.spill;
    setTimeout(() => rmSync(path, { force: true }), (BLOCK_SECONDS + 30) * 1000).unref();
  }

  changed(signal: AbortSignal): Promise<void> {
    return waitOrAbort(signal, (wake) => {
      this.waiters.push(wake);
      return () => remove(this.waiters, wake);
    });
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
