/**
 * The bytes of songs and pictures: a song as it is (`download`, `stream`), with byte ranges, HEAD
 * and conditional requests; a song transcoded to MP3 or Opus for a slow link (`stream` with
 * `format` or `maxBitRate`) by the system's ffmpeg, which docs/benchmarks.md shows fastest here;
 * a picture scaled to the size asked for (daemon/artwork/picture-scaler.ts). Nothing is decoded in
 * the event loop.
 * Streams and transcodes at once are bounded; past either, a request is refused, not queued.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { byteRange } from '../../common/http/byte-range.js';
import { SubsonicCode, SubsonicError } from '../../common/subsonic/response.js';
import type { Picture } from '../catalog/embedded.js';
import { openScanned, SongFileError } from '../catalog/open-song.js';
import type { CatalogSong } from '../catalog/song.js';
import { type FolderCover, PictureScaler } from '../artwork/picture-scaler.js';
import { hasFfmpeg } from '../ffmpeg.js';
import type { Logger } from '../log.js';
import { bitRateOf, CONTENT_TYPES } from './records.js';

/** Bytes to send as they are: a song, a picture. */
export interface MediaAnswer {
  media: true;
  status: number;
  headers: Record<string, string | number>;
  /** None for HEAD, 304 and 416. */
  body?: Readable | Buffer;
  /** Called once the answer is sent or the client went away. */
  done?: () => void;
}

export const TRANSCODE_FORMATS = ['mp3', 'opus'] as const;
export type TranscodeFormat = (typeof TRANSCODE_FORMATS)[number];
/** kb/s when a format is asked for without a bit rate; and the bounds of one asked for. */
const DEFAULT_KBPS: Record<TranscodeFormat, number> = { mp3: 192, opus: 128 };
const KBPS_BOUNDS: Record<TranscodeFormat, [number, number]> = { mp3: [32, 320], opus: [16, 256] };
const TRANSCODE_TYPES: Record<TranscodeFormat, string> = { mp3: 'audio/mpeg', opus: 'audio/ogg' };
/** `estimateContentLength`: the encoder's bytes at the rate asked for, times this, plus this. */
const ESTIMATE_MARGIN = 1.05;
const ESTIMATE_SLACK_BYTES = 8192;
/** Pictures waiting to be scaled, at most; past it one is sent as it is. */
const PICTURES_WAITING = 256;
/** A picture scaled to more than this is sent as it is. */
const MAX_PICTURE_SIZE = 2048;
/** The size covers are made at ahead of being asked: what Navidrome makes ahead, and its clients' grids ask. */
export const COVER_SIZE_AHEAD = 300;

export interface MediaLimits {
  /** Songs sent at once, transcoded or not. */
  maxStreams: number;
  /** Where scaled covers are kept on disk, and at most how many bytes; none: nowhere, and none made ahead. */
  coverStore?: { dir: string; maxBytes: number };
  /** ffmpeg processes at once (transcodes). */
  maxTranscodes: number;
}

/** What a `stream` request asks for: the song as it is, or transcoded. */
export type StreamPlan = { raw: true } | { raw: false; format: TranscodeFormat; kbps: number };

/**
 * @example streamPlan(flacSong, { format: undefined, maxBitRate: 128 }) // { raw: false, format: 'mp3', kbps: 128 }
 * @throws SubsonicError 0 for a format that is not served
 */
export function streamPlan(song: CatalogSong, asked: { format: string | undefined; maxBitRate: number }): StreamPlan {
  const format = asked.format?.toLowerCase();
  if (format === 'raw') return { raw: true };
  if (format === undefined || format === '' || format === song.info.format) {
    // Only a bit rate: the song as it is when it fits, else MP3 (what every client plays).
    if (asked.maxBitRate <= 0 || bitRateOf(song) <= asked.maxBitRate) return { raw: true };
    return { raw: false, format: 'mp3', kbps: clampKbps('mp3', asked.maxBitRate) };
  }
  const target = format === 'ogg' ? 'opus' : format;
  if (!(TRANSCODE_FORMATS as readonly string[]).includes(target))
    throw new SubsonicError(SubsonicCode.generic, `format '${format.slice(0, 20)}' is not served: raw, mp3 or opus`);
  const chosen = target as TranscodeFormat;
  return {
    raw: false,
    format: chosen,
    kbps: clampKbps(chosen, asked.maxBitRate > 0 ? asked.maxBitRate : DEFAULT_KBPS[chosen]),
  };
}

function clampKbps(format: TranscodeFormat, kbps: number): number {
  const [low, high] = KBPS_BOUNDS[format];
  return Math.min(high, Math.max(low, kbps));
}

/** Cuts a stream at `length` bytes, or pads it with zeros to it: what `estimateContentLength` promised. */
class ExactLength extends Transform {
  private sent = 0;
  constructor(private readonly length: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const room = this.length - this.sent;
    if (room > 0) this.push(chunk.length <= room ? chunk : chunk.subarray(0, room));
    this.sent += Math.min(room, chunk.length);
    done();
  }
  override _flush(done: TransformCallback): void {
    // Decoders skip zeros between frames and pages; a client stops at the length it was told.
    if (this.sent < this.length) this.push(Buffer.alloc(this.length - this.sent));
    done();
  }
}

const header = (headers: ApiHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};
type ApiHeaders = Readonly<Record<string, string | string[] | undefined>>;

export class MediaServer {
  private streams = 0;
  private transcodes = 0;
  private readonly scaler: PictureScaler;

  constructor(
    private readonly limits: MediaLimits,
    private readonly log: Logger,
  ) {
    this.scaler = new PictureScaler(PICTURES_WAITING, log, limits.coverStore);
  }

  /**
   * The album covers of `songs`' folders scaled to COVER_SIZE_AHEAD into the store before any is
   * asked for (PictureScaler.makeAhead), in the songs' order; a later call ends an earlier pass.
   */
  async coversAhead(songs: readonly CatalogSong[], coverNames: readonly string[]): Promise<void> {
    const folders = new Map<string, string>();
    for (const song of songs) folders.set(path.dirname(song.path), path.posix.dirname(song.info.file));
    const started = performance.now();
    const made = await this.scaler.makeAhead(
      [...folders].map(([folder, shownFolder]) => ({ folder, shownFolder })),
      coverNames,
      COVER_SIZE_AHEAD,
    );
    if (made > 0)
      this.log.debug(`pictures: ${made} covers made or found ahead in ${(performance.now() - started).toFixed(0)} ms`);
  }

  /** Ends the picture scaler's process. */
  close(): void {
    this.scaler.close();
  }

  get activeStreams(): number {
    return this.streams;
  }

  /** The song as it is: `download`, or `stream` without transcoding. */
  async song(
    song: CatalogSong,
    request: { method: string; headers: ApiHeaders },
    options: { attachment: boolean },
  ): Promise<MediaAnswer> {
    const etag = `"${song.info.etag}-${song.stamp.size}"`;
    const modified = new Date(Math.floor(song.stamp.mtimeMs / 1000) * 1000);
    const headers: Record<string, string | number> = {
      'content-type': CONTENT_TYPES[song.info.format],
      'accept-ranges': 'bytes',
      etag,
      'last-modified': modified.toUTCString(),
      'cache-control': 'private, max-age=86400',
    };
    if (options.attachment)
      headers['content-disposition'] =
        `attachment; filename*=UTF-8''${encodeURIComponent(song.info.file.slice(song.info.file.lastIndexOf('/') + 1))}`;
    const noneMatch = header(request.headers, 'if-none-match');
    const modifiedSince = header(request.headers, 'if-modified-since');
    const unchanged =
      noneMatch !== undefined
        ? noneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*' || tag.trim() === `W/${etag}`)
        : modifiedSince !== undefined && Date.parse(modifiedSince) >= modified.getTime();
    if (unchanged)
      return { media: true, status: 304, headers: { etag, 'last-modified': headers['last-modified'] as string } };

    const size = song.stamp.size;
    const ifRange = header(request.headers, 'if-range');
    const rangeApplies = ifRange === undefined || ifRange === etag || Date.parse(ifRange) >= modified.getTime();
    const range = rangeApplies ? byteRange(header(request.headers, 'range'), size) : undefined;
    if (range === 'unsatisfiable')
      return { media: true, status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } };
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const status = range ? 206 : 200;
    headers['content-length'] = Math.max(0, end - start + 1);
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    if (request.method === 'HEAD' || size === 0) return { media: true, status, headers };

    const handle = await this.openStream(song);
    const body = handle.createReadStream({ start, end, highWaterMark: 64 * 1024 });
    return { media: true, status, headers, body, done: once(() => this.streams--) };
  }

  /** The song transcoded as `plan` says, from `offsetSeconds`. */
  async transcoded(
    song: CatalogSong,
    plan: Extract<StreamPlan, { raw: false }>,
    request: { method: string; estimateLength: boolean; offsetSeconds: number },
  ): Promise<MediaAnswer> {
    if (!hasFfmpeg())
      throw new SubsonicError(
        SubsonicCode.generic,
        'transcoding needs ffmpeg, which this machine lacks: ask for format=raw',
      );
    const seconds = Math.max(0, song.info.duration - request.offsetSeconds);
    const headers: Record<string, string | number> = {
      'content-type': TRANSCODE_TYPES[plan.format],
      'accept-ranges': 'none',
      'cache-control': 'no-store',
    };
    // A little over what the encoder makes (containers' overhead, constrained VBR's swing): the rest is zeros, not a cut song.
    const estimate = Math.ceil(((seconds * plan.kbps * 1000) / 8) * ESTIMATE_MARGIN) + ESTIMATE_SLACK_BYTES;
    if (request.estimateLength) headers['content-length'] = estimate;
    if (request.method === 'HEAD') return { media: true, status: 200, headers };

    if (this.transcodes >= this.limits.maxTranscodes)
      throw new SubsonicError(
        SubsonicCode.generic,
        `busy: ${this.transcodes} songs are being transcoded; try again shortly`,
      );
    // Counted before the file is opened: requests that come meanwhile see it, and the bound holds.
    this.transcodes++;
    let handle: FileHandle;
    try {
      handle = await this.openStream(song);
    } catch (error) {
      this.transcodes--;
      throw error;
    }
    const codec =
      plan.format === 'mp3'
        ? ['-c:a', 'libmp3lame', '-b:a', `${plan.kbps}k`, '-f', 'mp3']
        : // Constrained VBR: the rate asked for is the rate sent (libopus's VBR goes well past it on some music).
          ['-c:a', 'libopus', '-b:a', `${plan.kbps}k`, '-vbr', 'constrained', '-f', 'ogg'];
    // The file as opened and checked, handed over as descriptor 3: ffmpeg reads what was scanned, not a path swapped since.
    const child = spawn(
      'ffmpeg',
      [
        '-v',
        'error',
        '-nostdin',
        ...(request.offsetSeconds > 0 ? ['-ss', request.offsetSeconds.toFixed(3)] : []),
        '-i',
        '/dev/fd/3',
        '-map',
        '0:a:0',
        '-vn',
        '-map_metadata',
        '-1',
        ...codec,
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe', handle.fd] },
    );
    const started = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    await handle.close();
    if (!started) {
      this.streams--;
      this.transcodes--;
      throw new SubsonicError(SubsonicCode.generic, 'ffmpeg could not be started to transcode');
    }
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errors.length < 2000) errors += chunk.toString('utf8');
    });
    child.once('error', (error) => this.log.warn(`transcoding '${song.info.file}': ${error.message}`));
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL')
        this.log.warn(`transcoding '${song.info.file}' ended with ${code ?? signal}: ${errors.trim().slice(0, 300)}`);
    });
    const output = child.stdout as NonNullable<ChildProcess['stdout']>;
    const body = request.estimateLength ? output.pipe(new ExactLength(estimate)) : output.pipe(new PassThrough());
    return {
      media: true,
      status: 200,
      headers,
      body,
      done: once(() => {
        this.streams--;
        this.transcodes--;
        if (child.exitCode === null) child.kill('SIGKILL');
      }),
    };
  }

  /** The picture, scaled down to fit `size` pixels when asked (and it can be now), else as it is. */
  async picture(picture: Picture, size: number | undefined, method: string): Promise<MediaAnswer> {
    const scaled = size !== undefined && scalable(size) ? await this.scaler.scale(picture, size) : undefined;
    const { mime, data } = scaled ?? picture;
    const headers = { 'content-type': mime, 'content-length': data.length, 'cache-control': 'private, max-age=86400' };
    const body = Buffer.from(data.buffer, data.byteOffset, data.length);
    return method === 'HEAD' ? { media: true, status: 200, headers } : { media: true, status: 200, headers, body };
  }

  /**
   * The album's cover file in the song's folder fitted within `size`, by the picture process
   * (PictureScaler.folderCover); undefined when no size to scale to is asked, or it must be read
   * here. @throws PictureError
   */
  async folderCover(song: CatalogSong, size: number | undefined, coverNames: readonly string[]): Promise<FolderCover> {
    if (size === undefined || !scalable(size)) return undefined;
    const shownFolder = path.posix.dirname(song.info.file);
    return this.scaler.folderCover(path.dirname(song.path), shownFolder, coverNames, size);
  }

  /**
   * The song's file opened as scanned, counted as a stream being sent (the caller's `done` counts
   * it out). @throws SubsonicError 0 when as many songs are being sent as the daemon sends at once,
   * or when the file cannot be read as scanned.
   */
  private async openStream(song: CatalogSong): Promise<FileHandle> {
    if (this.streams >= this.limits.maxStreams)
      throw new SubsonicError(SubsonicCode.generic, `busy: ${this.streams} songs are being sent; try again shortly`);
    this.streams++;
    try {
      return await openScanned(song.path, song.stamp, song.info.file);
    } catch (error) {
      this.streams--;
      throw fileError(error);
    }
  }
}

const scalable = (size: number): boolean => size > 0 && size <= MAX_PICTURE_SIZE;

function fileError(error: unknown): SubsonicError {
  if (error instanceof SongFileError) return new SubsonicError(SubsonicCode.generic, error.message);
  return new SubsonicError(SubsonicCode.generic, `cannot read the song: ${(error as Error).message}`);
}

const once = (action: () => void): (() => void) => {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
};
