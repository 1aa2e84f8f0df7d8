/**
 * Opens a song's file for reading as the catalog knows it, and nothing else: the library is not trusted between a scan and a read. The last path component is not
 * followed if it became a symlink (O_NOFOLLOW); a FIFO or device swapped in does not block a
 * libuv worker thread in open() (O_NONBLOCK; regular files ignore it); and the descriptor itself
 * must be a regular file with the inode, size and mtime that were scanned, which also catches a
 * folder above it swapped for a symlink to somewhere else.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { FileStamp } from './song.js';

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Why a file cannot be opened as the scanned one; the message is for the client and the log. */
export class SongFileError extends Error {
  constructor(
    message: string,
    /** The errno code when open() itself failed (ENOENT, EMFILE, ...). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SongFileError';
  }
}

/** @throws SongFileError when the file cannot be opened or is not the one scanned. */
export async function openScanned(path: string, stamp: FileStamp, name: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    // ELOOP is what O_NOFOLLOW answers for a symlink.
    throw new SongFileError(
      code === 'ELOOP' ? `'${name}' is a symlink now; not served` : `cannot open '${name}': ${code}`,
      code,
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SongFileError(`'${name}' is not a regular file now; not served`);
    if (stat.ino !== stamp.ino || stat.size !== stamp.size || stat.mtimeMs !== stamp.mtimeMs) {
      throw new SongFileError(`'${name}' changed since it was scanned; try again shortly`);
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * A small file beside the songs (a cover, a `.lrc`), read with the same care: not through a
 * symlink, not blocking on a FIFO, a regular file of at most `maxBytes`. Undefined when there is
 * none; @throws SongFileError when it is there but may not be read.
 */
export async function readBesideFile(path: string, maxBytes: number, name: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    return besideOpenFailed(error, name);
  }
  try {
    checkBeside(await handle.stat(), maxBytes, name);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** An open() of a file beside the songs failed: none there (undefined), or why it may not be read. */
function besideOpenFailed(error: unknown, name: string): undefined {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  if (code === 'ENOENT') return undefined;
  throw new SongFileError(
    code === 'ELOOP' ? `'${name}' is a symlink; not read` : `cannot open '${name}': ${code}`,
    code,
  );
}

/** @throws SongFileError unless the opened file beside the songs is a regular file of at most `maxBytes`. */
function checkBeside(stats: Stats, maxBytes: number, name: string): void {
  if (!stats.isFile()) throw new SongFileError(`'${name}' is not a regular file; not read`);
  if (stats.size > maxBytes) throw new SongFileError(`'${name}' is larger than ${maxBytes} bytes; not read`);
}

/**
 * readBesideFile for a process that may block (the picture process, picture-worker.ts), with the
 * descriptor's own stat: what was read is that file as it was then. Its first `firstBytes` only
 * when asked (the rest by readRestSync); the descriptor is left open for the caller to read on,
 * hand on (as /proc/self/fd/N) and close.
 */
export function readBesideFileSync(
  path: string,
  maxBytes: number,
  name: string,
  firstBytes = Infinity,
): { fd: number; data: Buffer; stats: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (error) {
    return besideOpenFailed(error, name);
  }
  try {
    const stats = fstatSync(fd);
    checkBeside(stats, maxBytes, name);
    return { fd, data: readSyncFrom(fd, Buffer.allocUnsafe(Math.min(stats.size, firstBytes)), 0), stats };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The whole file of readBesideFileSync's `first` bytes, as fstat said it was then: the rest read after them. */
export function readRestSync(fd: number, first: Buffer, stats: Stats): Buffer {
  if (first.length >= stats.size) return first;
  const whole = Buffer.allocUnsafe(stats.size);
  first.copy(whole);
  return readSyncFrom(fd, whole, first.length);
}

/** `into` filled from the file's byte `from` on; shorter when the file ends first (it shrank since its fstat). */
function readSyncFrom(fd: number, into: Buffer, from: number): Buffer {
  let read = from;
  while (read < into.length) {
    const got = readSync(fd, into, read, into.length - read, read);
    if (got === 0) break;
    read += got;
  }
  return into.subarray(0, read);
}
