/**
 * Pictures scaled down for the clients that ask for a size (the Subsonic API's `getCoverArt`): by
 * sharp (libvips, in its own threads, never in the event loop), loaded on the first picture asked
 * for; without it (a platform it has no build for), by the system's ffmpeg. What was scaled is
 * kept in a small cache by bytes: a client shows the same covers again and again.
 * docs/benchmarks.md has why: sharp takes ~8 ms for a 600-pixel cover, ffmpeg ~80 ms.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Picture } from '../catalog/embedded.js';
import { hasFfmpeg } from '../ffmpeg.js';
import type { Logger } from '../log.js';

/** Scaled pictures kept, by bytes. */
const CACHE_BYTES = 16 * 1024 * 1024;
/** A picture larger than this many pixels is not decoded (a decompression bomb in a cover file). */
const MAX_INPUT_PIXELS = 50_000_000;

type Sharp = (typeof import('sharp'))['default'];

export class PictureScaler {
  private sharp: Promise<Sharp | undefined> | undefined;
  private readonly kept = new Map<string, Picture>();
  private keptBytes = 0;
  /** Pictures are scaled one at a time (a thread's memory, not one per core); these wait their turn. */
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
    if (this.waiting >= this.maxWaiting) return undefined;
    this.waiting++;
    const before = this.turn;
    let done = (): void => {};
    this.turn = new Promise((resolve) => (done = resolve));
    try {
      await before;
      // PNG, GIF and WebP may be transparent: PNG they stay; a photograph becomes a JPEG.
      const mime = ['image/png', 'image/gif', 'image/webp'].includes(picture.mime) ? 'image/png' : 'image/jpeg';
      const sharp = await this.loadSharp();
      const data = sharp ? await this.bySharp(sharp, picture, size, mime) : await byFfmpeg(picture, size, mime);
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

  private loadSharp(): Promise<Sharp | undefined> {
    this.sharp ??= import('sharp').then(
      (module) => {
        const sharp = module.default;
        // No cache of its own (this one keeps what matters), one thread for a picture: the daemon's memory stays small.
        sharp.cache(false);
        sharp.concurrency(1);
        return sharp;
      },
      (error: unknown) => {
        this.log.warn(`pictures: sharp did not load (${(error as Error).message}); scaling with ffmpeg`);
        return undefined;
      },
    );
    return this.sharp;
  }

  private async bySharp(sharp: Sharp, picture: Picture, size: number, mime: string): Promise<Buffer | undefined> {
    try {
      const resized = sharp(picture.data, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).resize(size, size, {
        fit: 'inside',
        withoutEnlargement: true,
      });
      return await (mime === 'image/png' ? resized.png() : resized.jpeg({ quality: 85 })).toBuffer();
    } catch (error) {
      this.log.debug(`pictures: not scaled: ${(error as Error).message}`);
      return undefined;
    }
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
