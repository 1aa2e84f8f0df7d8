/**
 * The picture scaler's own process (picture-scaler.ts starts it): sharp scales one picture per
 * message and answers with the result. libvips and its buffers live here, not in the daemon: its
 * memory goes back to the system when this process ends after a quiet while, and a picture made
 * to crash the decoder ends this process, not the daemon. An album's cover is also found and read
 * here, with blocking calls: one message instead of the daemon's half a dozen trips to its thread
 * pool, each of which can wait milliseconds on a busy machine. Scaled covers are kept on disk
 * (scaled-store.ts) when the daemon gives a folder for them: its arguments, the folder and its bound.
 */
import { closeSync, existsSync, lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MAX_PICTURE_BYTES } from '../catalog/embedded.js';
import { readBesideFileSync, readRestSync, SongFileError } from '../catalog/open-song.js';
import { imageType, jpegShrink, jpegSize, pickCoverFile, scaledType, stamp } from './cover-file.js';
import type { CoverOrigin, FolderCoverRequest, ScaleReply, ScaleRequest } from './picture-messages.js';
import { ScaledStore } from './scaled-store.js';

/** A picture larger than this many pixels is not decoded (a decompression bomb in a cover file). */
const MAX_INPUT_PIXELS = 50_000_000;

type Sharp = (typeof import('sharp'))['default'];

async function loadSharp(): Promise<Sharp | string> {
  try {
    // Its CommonJS build: loaded in about half the time of its ES module's (60-70 ms here against
    // 110-160), which a cover asked after a quiet while waits for.
    const sharp = createRequire(import.meta.url)('sharp') as Sharp;
    // No cache of its own (the daemon keeps what is asked again), one thread: this process stays small.
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  } catch (error) {
    return (error as Error).message;
  }
}

const send = (reply: ScaleReply): void => {
  process.send?.(reply);
};

/** An open descriptor can be named as a path (Linux's /proc). */
const FD_PATHS = existsSync('/proc/self/fd');
/**
 * A cover file's first bytes, read before the rest: enough for its type and a JPEG's frame header
 * (after its EXIF and colour profile, as a rule), which may be all the picture process reads of it.
 */
const HEAD_BYTES = 64 * 1024;

/** Scaled covers kept on disk, when the daemon gives a folder and a bound (its two arguments). */
const [storeDir, storeBytes] = process.argv.slice(2);
const store = storeDir && storeBytes ? new ScaledStore(storeDir, Number(storeBytes)) : undefined;

/** The picture (its bytes, or libvips' path to them) fitted within `size`, as `mime`. */
async function scale(sharp: Sharp, input: Uint8Array | string, size: number, mime: string): Promise<Uint8Array> {
  const resized = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).resize(size, size, {
    fit: 'inside',
    withoutEnlargement: true,
  });
  return (mime === 'image/png' ? resized.png() : resized.jpeg({ quality: 85 })).toBuffer();
}

/**
 * A JPEG cover file's open descriptor as a path libvips opens with an option: decoded smaller in its
 * DCT by libjpeg's `shrink`, which sharp does not ask for at a factor of exactly 2 (a cover of 600
 * pixels asked at 300: it decodes the whole and scales that down, about twice the time). libvips
 * reads the file itself, so the picture process reads no more than its head. Undefined when no
 * shrink applies (or the frame header is not in the head).
 */
function shrunkInput(cover: ReadCover, size: number): string | undefined {
  if (!FD_PATHS || cover.mime !== 'image/jpeg') return undefined;
  const frame = jpegSize(cover.head);
  // Too many pixels: sharp refuses it from its header, as from the bytes.
  if (!frame || frame.width * frame.height > MAX_INPUT_PIXELS) return undefined;
  const shrink = jpegShrink(frame.width, frame.height, size);
  return shrink > 1 ? `/proc/self/fd/${cover.fd}[shrink=${shrink}]` : undefined;
}

/** A folder's cover file, open, its first HEAD_BYTES read. */
interface ReadCover {
  fd: number;
  head: Buffer;
  stats: Stats;
  mime: string;
  origin: CoverOrigin;
}

/** The folder's cover opened and its head read, its descriptor left open, or why not; its stamps taken before it is looked in and from the open file. */
function readCover(request: FolderCoverRequest): ReadCover | { none: CoverOrigin } {
  const folderStamp = stamp(statSync(request.folder));
  const name = pickCoverFile(readdirSync(request.folder), request.coverNames);
  if (!name) return { none: { folderStamp } };
  const shown = path.posix.join(request.shownFolder, name);
  const read = readBesideFileSync(path.join(request.folder, name), MAX_PICTURE_BYTES, shown, HEAD_BYTES);
  if (!read) return { none: { folderStamp } }; // gone between the listing and the open
  const mime = imageType(read.data);
  if (!mime) {
    closeSync(read.fd);
    throw new SongFileError(`'${shown}' is not a picture (JPEG, PNG, WebP, GIF or BMP)`);
  }
  const origin = { folderStamp, file: { name, stamp: stamp(read.stats) } };
  return { fd: read.fd, head: read.data, stats: read.stats, mime, origin };
}

/**
 * Whether a cover to be made ahead is in the store already, told from the folder's listing and the
 * file's stamp without opening it: a pass over a library made before reads no cover file. The
 * store's key has the type the picture is scaled to, which only its bytes tell: either is it.
 */
function keptAlready(request: FolderCoverRequest): boolean {
  if (!store) return false;
  try {
    const name = pickCoverFile(readdirSync(request.folder), request.coverNames);
    const stats = name && lstatSync(path.join(request.folder, name));
    if (!name || !stats || !stats.isFile()) return false;
    const key = { folder: request.folder, name, stamp: stamp(stats), size: request.size };
    return store.has({ ...key, mime: 'image/jpeg' }) || store.has({ ...key, mime: 'image/png' });
  } catch {
    return false; // readCover says why
  }
}

/** The reply to `request`; what `afterReply` is given is done once the reply is sent. */
async function answer(
  sharp: Sharp | string,
  request: ScaleRequest | FolderCoverRequest,
  afterReply: (work: () => void) => void,
): Promise<ScaleReply> {
  const { id } = request;
  if (typeof sharp === 'string') return { id, unavailable: sharp };
  if ('data' in request) {
    try {
      return { id, data: await scale(sharp, request.data, request.size, request.mime), mime: request.mime };
    } catch (error) {
      return { id, error: (error as Error).message };
    }
  }
  if (request.ahead && keptAlready(request)) return { id, kept: true };
  let cover;
  try {
    cover = readCover(request);
  } catch (error) {
    if (error instanceof SongFileError) return { id, refused: error.message };
    // The folder itself unreadable or gone: as a folder without a cover, but not kept.
    return { id, error: `cannot look in '${request.shownFolder}': ${(error as NodeJS.ErrnoException).code ?? error}` };
  }
  if ('none' in cover) return { id, none: cover.none };
  const mime = scaledType(cover.mime);
  const { file } = cover.origin;
  const key = store && file && { folder: request.folder, name: file.name, stamp: file.stamp, size: request.size, mime };
  let whole: Buffer | undefined;
  /** The whole file, past its head read now (once); undefined when it cannot be read. */
  const wholeFile = (): Buffer | undefined => {
    try {
      return (whole ??= readRestSync(cover.fd, cover.head, cover.stats));
    } catch {
      return undefined;
    }
  };
  try {
    if (store && key) {
      if (request.ahead && store.has(key)) return { id, kept: true };
      const kept = request.ahead ? undefined : store.get(key);
      if (kept) return { id, data: kept, mime, origin: cover.origin };
    }
    const input = shrunkInput(cover, request.size) ?? wholeFile();
    if (!input) return { id, error: `cannot read the cover in '${request.shownFolder}'` };
    const data = await scale(sharp, input, request.size, mime);
    if (store && key) {
      // Made ahead, a picture is kept only while it pushes out none: those were asked for, or made first.
      if (request.ahead && store.wouldEvict(data.length)) return { id, full: true };
      if (request.ahead) return store.put(key, data) ? { id, kept: true } : { id, full: true }; // a full disk, say
      // Written once the picture is on its way: the client does not wait for the disk.
      afterReply(() => store.put(key, data));
    }
    return { id, data, mime, origin: cover.origin };
  } catch (error) {
    const message = (error as Error).message;
    if (request.ahead) return { id, error: message };
    // Read: the daemon sends it as it is rather than read it and have it fail again.
    const data = wholeFile();
    return data ? { id, unscaled: data, mime: cover.mime, error: message } : { id, error: message };
  } finally {
    closeSync(cover.fd);
  }
}

const loaded = loadSharp();
process.on('message', (request: ScaleRequest | FolderCoverRequest) => {
  void loaded.then(async (sharp) => {
    const later: Array<() => void> = [];
    send(await answer(sharp, request, (work) => later.push(work)));
    for (const work of later) work();
  });
});
// The daemon gone (or done with pictures): nothing is left to do.
process.on('disconnect', () => process.exit(0));
