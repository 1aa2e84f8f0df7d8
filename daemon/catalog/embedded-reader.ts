/**
 * Pictures and lyrics out of songs' tags (embedded.ts), read in one worker thread: a tag parse
 * of a large cover is milliseconds the event loop does not give. The worker is started on the
 * first request and ends after a quiet while; a request that takes too long fails alone.
 */
import { Worker } from 'node:worker_threads';
import type { EmbeddedRequest, EmbeddedResult } from './embedded.js';

/** The worker ends after this long without a request. */
const IDLE_MS = 30_000;
/** A request not answered in this long fails (a stalled disk, a file made to make the parser crawl). */
const REQUEST_MS = 15_000;

interface Waiting {
  resolve(result: EmbeddedResult): void;
  timer: NodeJS.Timeout;
}

export class EmbeddedReader {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** A worker is running (started by a request, not yet ended by a quiet while). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  read(request: EmbeddedRequest): Promise<EmbeddedResult> {
    // A command still running as the daemon stops starts no worker after close().
    if (this.closed) return Promise.resolve({ error: 'the daemon is stopping' });
    const worker = this.started();
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ error: `reading the tags of '${request.file}' took over ${REQUEST_MS / 1000} s` });
        // The worker may be stuck in that file: the next request gets a fresh one.
        void this.stop();
      }, REQUEST_MS);
      this.waiting.set(id, { resolve, timer });
      worker.postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.stop();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./embedded-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (message: { id: number; result: EmbeddedResult }) => {
      const waiting = this.waiting.get(message.id);
      if (!waiting) return;
      this.waiting.delete(message.id);
      clearTimeout(waiting.timer);
      waiting.resolve(message.result);
      if (this.waiting.size === 0) this.idleLater();
    });
    const failed = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const [id, waiting] of this.waiting) {
        clearTimeout(waiting.timer);
        waiting.resolve({ error: why });
        this.waiting.delete(id);
      }
    };
    worker.on('error', (error) => failed(`the tag reader failed: ${error.message}`));
    worker.on('exit', () => failed('the tag reader ended'));
    this.worker = worker;
    return worker;
  }

  private idleLater(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stop(), IDLE_MS);
    this.idleTimer.unref();
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const [id, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.resolve({ error: 'the tag reader was stopped' });
      this.waiting.delete(id);
    }
    await worker?.terminate();
  }
}
