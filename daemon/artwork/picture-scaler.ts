/**
 * Pictures scaled down for the clients that ask for a size (the Subsonic API's `getCoverArt`): by
 * sharp (libvips) in a process of its own (picture-worker.ts), started on the first picture and
 * ended after a quiet while, so that libvips' memory is not the daemon's and a picture that
 * crashes the decoder costs that process, not the daemon; without sharp (a platform it has no
 * build for), by the system's ffmpeg. What was scaled is kept in a small cache by bytes: a client
 * shows the same covers again and again. docs/benchmarks.md has why: sharp takes ~8 ms for a
 * 600-pixel cover, ffmpeg ~80 ms.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Picture } from '../catalog/embedded.js';
import { hasFfmpeg } from '../ffmpeg.js';
import type { Logger } from '../log.js';
import type { ScaleReply, ScaleRequest } from './picture-messages.js';

/** Scaled pictures kept, by bytes. */
const CACHE_BYTES = 16 * 1024 * 1024;
/** The picture process ends after this long without a picture. */
const IDLE_MS = 5_000;
/** A picture not scaled in this long is sent as it is, and the process that stalled on it ends. */
const PICTURE_MS = 10_000;

type Outcome = { data: Uint8Array } | { error: string } | { unavailable: string } | { ended: string };

interface Scaling {
  id: number;
  finish(outcome: Outcome): void;
}

export class PictureScaler {
  private worker: ChildProcess | undefined;
  private scaling: Scaling | undefined;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  /** sharp did not load here: ffmpeg scales from then on. */
  private sharpMissing = false;
  private closed = false;
  private readonly kept = new Map<string, Picture>();
  private keptBytes = 0;
  /** Pictures are scaled one at a time (one process, one thread); these wait their turn. */
  private turn: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    /** Pictures waiting their turn at most; past it a picture is sent as it is. */
    private readonly maxWaiting: number,
    private readonly log: Logger,
  ) {}

  /** The picture fitted within `size` pixels (never enlarged); undefined when it cannot be now (busy, no scaler, a bad picture). */
  async scale(picture: Picture, size: number): Promise<Picture | undefined> {
    const key = `${createHash('sha1').update(picture.data).digest('hex')}:${size}`;
    const kept = this.kept.get(key);
    if (kept) {
      this.kept.delete(key); // to the back: most recently used
      this.kept.set(key, kept);
      return kept;
    }
    if (this.waiting >= this.maxWaiting || this.closed) return undefined;
    this.waiting++;
    const before = this.turn;
    let done = (): void => {};
    this.turn = new Promise((resolve) => (done = resolve));
    try {
      await before;
      // PNG, GIF and WebP may be transparent: PNG they stay; a photograph becomes a JPEG.
      const mime = ['image/png', 'image/gif', 'image/webp'].includes(picture.mime) ? 'image/png' : 'image/jpeg';
      const data = this.sharpMissing ? await byFfmpeg(picture, size, mime) : await this.bySharp(picture, size, mime);
      if (!data) return undefined;
      const scaled = { mime, data };
      this.kept.set(key, scaled);
      this.keptBytes += data.length;
      for (const [oldest, entry] of this.kept) {
        if (this.keptBytes <= CACHE_BYTES) break;
        this.kept.delete(oldest);
        this.keptBytes -= entry.data.length;
      }
      return scaled;
    } finally {
      this.waiting--;
      done();
    }
  }

  /** Ends the picture process; pictures asked for from now on are sent as they are. */
  close(): void {
    this.closed = true;
    this.stop('the daemon is stopping');
  }

  private async bySharp(picture: Picture, size: number, mime: string): Promise<Uint8Array | undefined> {
    let outcome = await this.inWorker({ id: this.nextId++, data: picture.data, size, mime });
    // The process ended under it (killed, or gone before its end was heard): once more, in a new one.
    if ('ended' in outcome) outcome = await this.inWorker({ id: this.nextId++, data: picture.data, size, mime });
    if ('data' in outcome) return outcome.data;
    if ('error' in outcome || 'ended' in outcome) {
      this.log.debug(`pictures: not scaled: ${'error' in outcome ? outcome.error : outcome.ended}`);
      return undefined;
    }
    this.log.warn(`pictures: sharp did not load (${outcome.unavailable}); scaling with ffmpeg`);
    this.sharpMissing = true;
    this.stop();
    return byFfmpeg(picture, size, mime);
  }

  private inWorker(request: ScaleRequest): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ error: 'the daemon is stopping' });
    const worker = this.started();
    clearTimeout(this.idleTimer);
    return new Promise((resolve) => {
      // It may be stuck in that picture: the next one gets a fresh process.
      const timer = setTimeout(() => this.stop(`scaling took over ${PICTURE_MS / 1000} s`), PICTURE_MS);
      const finish = (outcome: Outcome): void => {
        if (this.scaling?.id !== request.id) return;
        this.scaling = undefined;
        clearTimeout(timer);
        if (this.worker) this.idleLater();
        resolve(outcome);
      };
      this.scaling = { id: request.id, finish };
      worker.send(request, (error) => {
        if (!error) return;
        // Dead but not yet heard of: forgotten now, so that the next picture starts a new one.
        if (this.worker === worker) this.worker = undefined;
        worker.kill('SIGKILL');
        finish({ ended: `did not take the picture: ${error.message}` });
      });
    });
  }

  private started(): ChildProcess {
    if (this.worker) return this.worker;
    // The daemon's young generation and malloc arenas, but not its small mmap threshold: libvips'
    // buffers mapped one by one cost each picture a few ms, and this process's memory goes back whole.
    const { MALLOC_MMAP_THRESHOLD_: _threshold, ...env } = process.env;
    const worker = fork(fileURLToPath(new URL('./picture-worker.js', import.meta.url)), [], {
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    worker.unref();
    worker.channel?.unref();
    worker.on('message', (reply: ScaleReply) => {
      if (this.scaling?.id !== reply.id) return;
      if ('data' in reply) this.scaling.finish({ data: reply.data });
      else if ('error' in reply) this.scaling.finish({ error: reply.error });
      else this.scaling.finish({ unavailable: reply.unavailable });
    });
    const ended = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.log.warn(`pictures: the scaling process ${why}`);
      this.scaling?.finish({ ended: why });
    };
    worker.on('error', (error) => ended(`failed: ${error.message}`));
    worker.on('exit', (code, signal) => ended(`ended (${signal ?? `exit code ${code}`})`));
    this.worker = worker;
    return worker;
  }

  private idleLater(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), IDLE_MS);
    this.idleTimer.unref();
  }

  /** Ends the process: quietly when it is between pictures, else killed, the picture it has failing with `why`. */
  private stop(why = 'the scaling process was stopped'): void {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    const busy = this.scaling !== undefined;
    this.scaling?.finish({ error: why });
    if (!worker) return;
    if (!busy && worker.connected)
      worker.disconnect(); // it leaves when its channel closes
    else worker.kill('SIGKILL');
  }
}

/** ffmpeg given the picture on stdin; its output, or undefined. Bounded to 10 s and 32 MiB. */
function byFfmpeg(picture: Picture, size: number, mime: string): Promise<Buffer | undefined> {
  if (!hasFfmpeg()) return Promise.resolve(undefined);
  const args = [
    ...['-v', 'error', '-nostdin', '-i', 'pipe:0'],
    ...['-vf', `scale='min(${size},iw)':'min(${size},ih)':force_original_aspect_ratio=decrease`],
    ...['-frames:v', '1', '-f', 'image2pipe', '-c:v', mime === 'image/png' ? 'png' : 'mjpeg', '-q:v', '3', 'pipe:1'],
  ];
  return new Promise((resolve) => {
    const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'ignore'], timeout: 10_000 });
    const chunks: Buffer[] = [];
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > 32 * 1024 * 1024) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(Buffer.from(picture.data));
    child.once('error', () => resolve(undefined));
    child.once('close', (code) => resolve(code === 0 && bytes > 0 ? Buffer.concat(chunks) : undefined));
  });
}
