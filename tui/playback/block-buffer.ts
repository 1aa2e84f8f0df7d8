/**
 * A block as a download brings it: its chunks as they come (kept for readers behind the download),
 * hashed on the way, and who waits for the next change.
 */
import { createHash } from 'node:crypto';
import type { BlockHeader } from '../../common/protocol/response.js';
import { waitOrAbort } from './block-source.js';

/** Takes `item` out of `list`, if it is there. */
export function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

export class BlockBuffer {
  chunks: Buffer[] = [];
  done = false;
  failed: Error | undefined;
  private readonly hash = createHash('sha256');
  private waiters: Array<() => void> = [];

  constructor(readonly header: BlockHeader) {}

  add(bytes: Buffer): void {
    const copy = Buffer.from(bytes);
    this.chunks.push(copy);
    this.hash.update(copy);
    this.wake();
  }

  finish(): boolean {
    this.done = true;
    const ok = this.hash.digest('hex') === this.header.sha256;
    if (!ok) this.failed = new Error(`block ${this.header.index} failed its SHA-256 check`);
    this.wake();
    return ok;
  }

  fail(error: Error): void {
    if (this.done) return;
    this.failed = error;
    this.wake();
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
