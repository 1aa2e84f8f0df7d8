/**
 * Reads a song's blocks from disk for `download`: checks the file is still the one the catalog
 * analysed, hashes a block the first time it is asked for (the hash is kept in the catalog), and
 * hands the bytes out in chunks so that a download never holds a whole block in memory.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { ProtocolError } from '../../common/protocol/errors.js';
import type { Catalog } from './catalog.js';
import type { CatalogBlock, CatalogSong } from './song.js';

/** Large enough that a read is cheap per byte, small enough to pause between chunks. */
export const READ_CHUNK_BYTES = 256 * 1024;

export class SongFile {
  private constructor(
    readonly song: CatalogSong,
    private readonly handle: FileHandle,
  ) {}

  /** @throws ProtocolError io_error when the file is gone or changed since the scan. */
  static async open(song: CatalogSong): Promise<SongFile> {
    let handle: FileHandle;
    try {
      handle = await open(song.path, 'r');
    } catch (error) {
      throw new ProtocolError('io_error', `cannot open '${song.info.file}': ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const stat = await handle.stat();
    if (stat.size !== song.stamp.size || stat.mtimeMs !== song.stamp.mtimeMs) {
      await handle.close();
      throw new ProtocolError('io_error', `'${song.info.file}' changed since it was scanned; try again shortly`);
    }
    return new SongFile(song, handle);
  }

  /** The block's bytes, chunk by chunk; each chunk is a fresh buffer the caller may keep. */
  async *chunks(block: CatalogBlock, chunkBytes = READ_CHUNK_BYTES): AsyncGenerator<Buffer> {
    let position = block.offset;
    const end = block.offset + block.length;
    while (position < end) {
      const want = Math.min(chunkBytes, end - position);
      const { buffer, bytesRead } = await this.handle.read(Buffer.allocUnsafe(want), 0, want, position);
      if (bytesRead === 0) throw new ProtocolError('io_error', `'${this.song.info.file}' is shorter than when it was scanned`);
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
    if (block.sha256) return block.sha256;
    let pending = this.hashing.get(block);
    if (!pending) {
      pending = (async () => {
        const hash = createHash('sha256');
        for await (const chunk of file.chunks(block, 1024 * 1024)) hash.update(chunk);
        return hash.digest('hex');
      })();
      this.hashing.set(block, pending);
    }
    try {
      const sha = await pending;
      block.sha256 = sha;
      this.catalog.noteBlockHash();
      return sha;
    } finally {
      this.hashing.delete(block);
    }
  }
}
