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
export const READ_CHUNK_BYTES = 256 * 1024;

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

  /** The block's bytes from `from` on, chunk by chunk; each chunk is a fresh buffer the caller may keep. */
  async *chunks(block: CatalogBlock, chunkBytes = READ_CHUNK_BYTES, from = 0): AsyncGenerator<Buffer> {
    let position = block.offset + from;
    const end = block.offset + block.length;
    while (position < end) {
      const want = Math.min(chunkBytes, end - position);
      const { buffer, bytesRead } = await this.handle.read(Buffer.allocUnsafe(want), 0, want, position);
      if (bytesRead === 0)
        throw new ProtocolError('io_error', `'${this.song.info.file}' is shorter than when it was scanned`);
      position += bytesRead;
      yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class BlockReader {
  /** Hashes being computed, so that two clients asking at once share one pass. */
  private readonly hashing = new Map<CatalogBlock, Promise<string>>();

  constructor(private readonly catalog: Catalog) {}

  async sha256(file: SongFile, block: CatalogBlock): Promise<string> {
    return (await this.hashed(file, block)).sha256;
  }

  /**
   * The block's hash, and, when this call read the block to hash it, the block's first bytes
   * (up to READ_CHUNK_BYTES, a copy): a download sends them without reading them again, which is
   * a read less between a song's first `download` and its first byte.
   */
  async hashed(file: SongFile, block: CatalogBlock): Promise<{ sha256: string; head?: Buffer }> {
    if (block.sha256) return { sha256: block.sha256 };
    let pending = this.hashing.get(block);
    let head: Buffer | undefined;
    if (!pending) {
      pending = (async () => {
        const hash = createHash('sha256');
        for await (const chunk of file.chunks(block, 1024 * 1024)) {
          head ??= Buffer.from(chunk.subarray(0, READ_CHUNK_BYTES));
          hash.update(chunk);
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
