/**
 * Reads a song's blocks from disk for `download`: checks the file is still the one the catalog
 * analysed, hashes a block the first time it is asked for (the hash is kept in the catalog), and
 * hands the bytes out in chunks so that a download never holds a whole block in memory.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { ProtocolError } from '../../common/protocol/errors.js';
import type { Catalog } from './catalog.js';
import { openScanned } from './open-song.js';
import type { CatalogBlock, CatalogSong } from './song.js';

/** Large enough that a read is cheap per byte, small enough to pause between chunks. */
const READ_CHUNK_BYTES = 256 * 1024;
/**
 * A block's first bytes go out in a piece this small: a song's first sound waits for them, and a
 * fresh buffer of READ_CHUNK_BYTES costs its page faults first (1-1.5 ms to fill here, measured;
 * the daemon's malloc maps every buffer of 32 KiB and more afresh: see cli.ts).
 */
const FIRST_CHUNK_BYTES = 16 * 1024;
/** A block is hashed through a buffer of this size, kept for the next: fresh ones cost 2.5 ms a block in page faults, 0.6 kept. */
const HASH_READ_BYTES = 256 * 1024;
const KEPT_BUFFERS = 2;

/** A song's file for serving. @throws ProtocolError io_error (its cause the SongFileError) when it cannot be. */
export async function openSongFile(song: CatalogSong): Promise<FileHandle> {
  try {
    return await openScanned(song.path, song.stamp, song.info.file);
  } catch (error) {
    throw new ProtocolError('io_error', (error as Error).message, false, error);
  }
}

export class SongFile {
  private constructor(
    readonly song: CatalogSong,
    private readonly handle: FileHandle,
  ) {}

  /** @throws ProtocolError io_error when the file is gone, or not the one scanned (open-song.ts). */
  static async open(song: CatalogSong): Promise<SongFile> {
    return new SongFile(song, await openSongFile(song));
  }

  /**
   * The block's bytes from `from` on, chunk by chunk, READ_CHUNK_BYTES at most (FIRST_CHUNK_BYTES
   * when they start at the block's start); each chunk is a fresh buffer the caller may keep.
   */
  async *chunks(block: CatalogBlock, from = 0): AsyncGenerator<Buffer> {
    let position = block.offset + from;
    const end = block.offset + block.length;
    for (let size = from === 0 ? FIRST_CHUNK_BYTES : READ_CHUNK_BYTES; position < end; size = READ_CHUNK_BYTES) {
      const want = Math.min(size, end - position);
      const { buffer, bytesRead } = await this.handle.read(Buffer.allocUnsafe(want), 0, want, position);
      if (bytesRead === 0) throw this.shorter();
      position += bytesRead;
      yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
    }
  }

  /** The block's bytes read into `buffer`, a piece at a time: each piece is valid until the next is asked for. */
  async *pieces(block: CatalogBlock, buffer: Buffer): AsyncGenerator<Buffer> {
    let position = block.offset;
    const end = block.offset + block.length;
    while (position < end) {
      const { bytesRead } = await this.handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
      if (bytesRead === 0) throw this.shorter();
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }

  private shorter(): ProtocolError {
    return new ProtocolError('io_error', `'${this.song.info.file}' is shorter than when it was scanned`);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class BlockReader {
  /** Hashes being computed, so that two clients asking at once share one pass. */
  private readonly hashing = new Map<CatalogBlock, Promise<string>>();
  /** Read buffers of passes done, for the next (KEPT_BUFFERS at most: passes at once past that make their own). */
  private readonly buffers: Buffer[] = [];

  constructor(private readonly catalog: Catalog) {}

  async sha256(file: SongFile, block: CatalogBlock): Promise<string> {
    return (await this.hashed(file, block)).sha256;
  }

  /**
   * The block's hash, and, when this call read the block to hash it, the block's first bytes
   * (up to FIRST_CHUNK_BYTES, a copy): a download sends them without reading them again, which is
   * a read less between a song's first `download` and its first byte.
   */
  async hashed(file: SongFile, block: CatalogBlock): Promise<{ sha256: string; head?: Buffer }> {
    if (block.sha256) return { sha256: block.sha256 };
    let pending = this.hashing.get(block);
    let head: Buffer | undefined;
    if (!pending) {
      pending = (async () => {
        const hash = createHash('sha256');
        const buffer = this.buffers.pop() ?? Buffer.allocUnsafe(HASH_READ_BYTES);
        try {
          for await (const piece of file.pieces(block, buffer)) {
            head ??= Buffer.from(piece.subarray(0, FIRST_CHUNK_BYTES));
            hash.update(piece);
          }
        } finally {
          if (this.buffers.length < KEPT_BUFFERS) this.buffers.push(buffer);
        }
        return hash.digest('hex');
      })();
      this.hashing.set(block, pending);
    }
    try {
      const sha = await pending;
      block.sha256 = sha;
      this.catalog.noteBlockHash();
      return head ? { sha256: sha, head } : { sha256: sha };
    } finally {
      this.hashing.delete(block);
    }
  }
}
