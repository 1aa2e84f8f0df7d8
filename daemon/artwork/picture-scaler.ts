/**
 * Pictures scaled down for the clients that ask for a size (the Subsonic API's `getCoverArt`): by
 * sharp (libvips) in a process of its own (picture-worker.ts), started on the first picture and
 * ended after a quiet while, so that libvips' memory is not the daemon's and a picture that
 * crashes the decoder costs that process, not the daemon; without sharp (a platform it has no
 * build for), by the system's ffmpeg. What was scaled is kept in a small cache by bytes: a client
 * shows the same covers again and again. docs/benchmarks.md has why: sharp takes 3-5 ms for a
 * 600-pixel cover, ffmpeg ~80 ms. An album's cover file is found and read by that process too
 * (folderCover); one kept is served again while its folder and file are unchanged. Given a store on
 * disk, that process keeps the covers it scales there, and makeAhead scales a library's covers
 * into it before they are asked for, as Navidrome does after a scan: a phone's grid of albums is
 * then read, not scaled, even after a restart.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Picture } from '../catalog/embedded.js';
import { hasFfmpeg } from '../ffmpeg.js';
import type { Logger } from '../log.js';
import { PictureError } from './artwork.js';
import { pickCoverFile, scaledType, stamp } from './cover-file.js';
import type { CoverOrigin, FolderCoverRequest, ScaleReply, ScaleRequest } from './picture-messages.js';

/** Scaled pictures kept, by bytes, and entries (a folder without a cover is an entry of no bytes). */
const CACHE_BYTES = 16 * 1024 * 1024;
const CACHE_ENTRIES = 8192;
/** The picture process ends after this long without a picture. */
const IDLE_MS = 5_000;
/** A picture not scaled in this long is sent as it is, and the process that stalled on it ends. */
const PICTURE_MS = 10_000;

type Outcome = ScaleReply | { id: number; ended: string };

/** A scaled picture kept; for a folder's cover, where it came from (none: the folder has no cover). */
interface Kept {
  picture?: Picture;
  origin?: CoverOrigin;
}

/**
 * An album's cover from folderCover: the picture to send (scaled, or as it is when it cannot be
 * scaled), none in the folder, or undefined when it cannot be asked for now (read it in the daemon).
 */
export type FolderCover = { picture: Picture } | 'none' | undefined;

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
  private readonly kept = new Map<string, Kept>();
  private keptBytes = 0;
  /** Pictures are scaled one at a time (one process, one thread); these wait their turn. */
  private turn: Promise<void> = Promise.resolve();
  private waiting = 0;
  /** The pass of makeAhead running; a new one ends it. */
  private aheadPass = 0;
  /** Folders (and sizes) a pass has made or found kept, or found without a cover: later passes skip them. */
  private readonly aheadDone = new Set<string>();

  constructor(
    /** Pictures waiting their turn at most; past it a picture is sent as it is. */
    private readonly maxWaiting: number,
    private readonly log: Logger,
    /** Where the picture process keeps the covers it scales (scaled-store.ts), and at most how many bytes; none: nowhere. */
    private readonly store?: { dir: string; maxBytes: number },
  ) {}

  /** The picture fitted within `size` pixels (never enlarged); undefined when it cannot be now (busy, no scaler, a bad picture). */
  async scale(picture: Picture, size: number): Promise<Picture | undefined> {
    const key = `${createHash('sha1').update(picture.data).digest('hex')}:${size}`;
    const kept = this.recall(key);
    if (kept?.picture) return kept.picture;
    const mime = scaledType(picture.mime);
    const outcome = await this.inTurn(async () => {
      if (this.sharpMissing) {
        const data = await byFfmpeg(picture, size, mime);
        return data ? { id: 0, data, mime } : { id: 0, error: 'ffmpeg did not scale it' };
      }
      return this.bySharp({ id: this.nextId++, data: picture.data, size, mime });
    });
    if (outcome && 'unavailable' in outcome) return this.scale(picture, size); // by ffmpeg now
    if (!outcome || !('data' in outcome)) return undefined;
    const scaled = { mime: outcome.mime, data: outcome.data };
    this.keep(key, { picture: scaled });
    return scaled;
  }

  /**
   * The cover file in `folder` (named as `coverNames` rank them) fitted within `size`, found, read
   * and scaled in the picture process. 'none' when the folder has no cover file; undefined when it
   * cannot be done there now (busy, no sharp, a picture sharp cannot read): the daemon reads it.
   * @throws PictureError when the cover file is there but may not be served.
   */
  async folderCover(
    folder: string,
    shownFolder: string,
    coverNames: readonly string[],
    size: number,
  ): Promise<FolderCover> {
    const key = `folder:${size}:${coverNames.join('/')}:${folder}`;
    const kept = this.kept.get(key);
    if (kept?.origin && (await unchanged(folder, kept.origin))) {
      this.recall(key);
      return kept.picture ? { picture: kept.picture } : 'none';
    }
    if (this.sharpMissing) return undefined;
    // With no picture process running, a folder without a cover file is told here: starting one
    // (a node and sharp, 200-300 ms) only to hear that was most of such an answer.
    const none = this.worker ? undefined : await withoutCoverFile(folder, coverNames);
    if (none) {
      this.keep(key, { origin: none });
      return 'none';
    }
    const outcome = await this.inTurn(() => this.bySharp({ id: this.nextId++, folder, shownFolder, coverNames, size }));
    if (!outcome) return undefined;
    if ('refused' in outcome) throw new PictureError(outcome.refused);
    if ('none' in outcome) {
      this.keep(key, { origin: outcome.none });
      return 'none';
    }
    if ('unscaled' in outcome) return { picture: { mime: outcome.mime, data: outcome.unscaled } };
    if (!('data' in outcome)) return undefined;
    const picture = { mime: outcome.mime, data: outcome.data };
    this.keep(key, { picture, origin: outcome.origin });
    return { picture };
  }

  /**
   * The covers of `folders` fitted within `size` into the store, before they are asked for: one at a
   * time, each when no picture asked for is waiting (which then waits for one at most). Ends when
   * the store takes no more, at a later call, or when the scaler closes. A folder an earlier pass
   * saw is skipped (a cover changed since is scaled when asked, and kept then). Resolves with the
   * covers scaled now or found kept.
   */
  async makeAhead(
    folders: Iterable<{ folder: string; shownFolder: string }>,
    coverNames: readonly string[],
    size: number,
  ): Promise<number> {
    if (!this.store) return 0;
    const pass = ++this.aheadPass;
    const list = [...folders];
    // Folders gone from the library are forgotten: the set stays the size of the library.
    const now = new Set(list.map(({ folder }) => `${size}:${folder}`));
    for (const done of this.aheadDone) if (!now.has(done)) this.aheadDone.delete(done);
    let made = 0;
    for (const { folder, shownFolder } of list) {
      const done = `${size}:${folder}`;
      if (this.aheadDone.has(done)) continue;
      while (this.waiting > 0) await this.turn;
      if (pass !== this.aheadPass || this.closed || this.sharpMissing) break;
      const request = { id: this.nextId++, folder, shownFolder, coverNames, size, ahead: true };
      const outcome = await this.inTurn(() => this.bySharp(request));
      if (outcome && ('kept' in outcome || 'none' in outcome)) this.aheadDone.add(done);
      if (outcome && 'kept' in outcome) made++;
      if (outcome && 'full' in outcome) {
        this.log.info(`pictures: the store of scaled covers takes no more (full, or not writable); ${made} made ahead`);
        break;
      }
    }
    return made;
  }

  /** Ends the picture process; pictures asked for from now on are sent as they are. */
  close(): void {
    this.closed = true;
    this.stop('the daemon is stopping');
  }

  /** `work` when its turn comes (one picture at a time); undefined at once when too many wait or the scaler is closed. */
  private async inTurn(work: () => Promise<Outcome>): Promise<Outcome | undefined> {
    if (this.waiting >= this.maxWaiting || this.closed) return undefined;
    this.waiting++;
    const before = this.turn;
    let done = (): void => {};
    this.turn = new Promise((resolve) => (done = resolve));
    try {
      await before;
      return await work();
    } finally {
      this.waiting--;
      done();
    }
  }

  /** The picture process's answer; it says when sharp is missing here, and the process is ended for good. */
  private async bySharp(request: ScaleRequest | FolderCoverRequest): Promise<Outcome> {
    let outcome = await this.inWorker(request);
    // The process ended under it (killed, or gone before its end was heard): once more, in a new one.
    if ('ended' in outcome) outcome = await this.inWorker({ ...request, id: this.nextId++ });
    if ('error' in outcome || 'ended' in outcome)
      this.log.debug(`pictures: not scaled: ${'error' in outcome ? outcome.error : outcome.ended}`);
    if ('unavailable' in outcome) {
      this.log.warn(`pictures: sharp did not load (${outcome.unavailable}); scaling with ffmpeg`);
      this.sharpMissing = true;
      this.stop();
    }
    return outcome;
  }

  /** What is kept under `key`, made the most recently used. */
  private recall(key: string): Kept | undefined {
    const kept = this.kept.get(key);
    if (!kept) return undefined;
    this.kept.delete(key);
    this.kept.set(key, kept);
    return kept;
  }

  private keep(key: string, entry: Kept): void {
    const before = this.kept.get(key);
    if (before) {
      this.kept.delete(key);
      this.keptBytes -= before.picture?.data.length ?? 0;
    }
    this.kept.set(key, entry);
    this.keptBytes += entry.picture?.data.length ?? 0;
    for (const [oldest, dropped] of this.kept) {
      if (this.keptBytes <= CACHE_BYTES && this.kept.size <= CACHE_ENTRIES) break;
      this.kept.delete(oldest);
      this.keptBytes -= dropped.picture?.data.length ?? 0;
    }
  }

  private inWorker(request: ScaleRequest | FolderCoverRequest): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ id: request.id, error: 'the daemon is stopping' });
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
        finish({ id: request.id, ended: `did not take the picture: ${error.message}` });
      });
    });
  }

  private started(): ChildProcess {
    if (this.worker) return this.worker;
    // The daemon's young generation and malloc arenas, but not its small mmap threshold: libvips'
    // buffers mapped one by one cost each picture a few ms, and this process's memory goes back whole.
    const { MALLOC_MMAP_THRESHOLD_: _threshold, ...env } = process.env;
    const storeArgs = this.store ? [this.store.dir, String(this.store.maxBytes)] : [];
    const worker = fork(fileURLToPath(new URL('./picture-worker.js', import.meta.url)), storeArgs, {
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    worker.unref();
    worker.channel?.unref();
    worker.on('message', (reply: ScaleReply) => {
      if (this.scaling?.id === reply.id) this.scaling.finish(reply);
    });
    const ended = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.log.warn(`pictures: the scaling process ${why}`);
      if (this.scaling) this.scaling.finish({ id: this.scaling.id, ended: why });
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
    if (this.scaling) this.scaling.finish({ id: this.scaling.id, error: why });
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

/**
 * The folder's stamp when it holds no cover file (taken before it is looked in, as the picture
 * process takes it); undefined when it holds one, or cannot be looked in (the process says why).
 */
async function withoutCoverFile(folder: string, coverNames: readonly string[]): Promise<CoverOrigin | undefined> {
  try {
    const folderStamp = stamp(await stat(folder));
    return pickCoverFile(await readdir(folder), coverNames) ? undefined : { folderStamp };
  } catch {
    return undefined;
  }
}

/** True when the folder, and the cover file it had, are as they were when `origin` was taken. */
async function unchanged(folder: string, origin: CoverOrigin): Promise<boolean> {
  // Both at once: one wait on the thread pool instead of two.
  const [folderNow, fileNow] = await Promise.all([
    stat(folder).catch(() => undefined),
    origin.file && lstat(path.join(folder, origin.file.name)).catch(() => undefined),
  ]);
  if (!folderNow || stamp(folderNow) !== origin.folderStamp) return false;
  return !origin.file || (fileNow !== undefined && stamp(fileNow) === origin.file.stamp);
}
