/**
 * Analyses one audio file: format, duration, tags and its 30-second blocks. Never throws: a file
 * that cannot be served comes back with the reason, for the log.
 */
import { createHash } from 'node:crypto';
import { parseBuffer, parseFile } from 'music-metadata';
import type { BlockSpan } from '../../common/audio/blocks.js';
import { scanMpeg } from '../../common/audio/mpeg-frames.js';
import { parseWav, wavBlocks } from '../../common/audio/wav.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { openScanned } from './open-song.js';
import type { CatalogSong } from './song.js';
import { quickTags } from './quick-tags.js';
import type { FoundFile } from './walk.js';

/** Bump when the analysis changes, so that persisted catalogs are analysed again. */
export const ANALYZER_VERSION = 1;

/** Files larger than this are not read whole into memory to find their frames. */
const MAX_MP3_BYTES = 512 * 1024 * 1024;
const WAV_HEAD_BYTES = 1024 * 1024;

export type Analysis =
  | { ok: true; song: Omit<CatalogSong, 'info'> & { info: Omit<SongInfo, 'id'> }; warning?: string }
  | { ok: false; reason: string };

type Tags = Pick<SongInfo, 'title' | 'artist' | 'album'>;

function etagOf(file: FoundFile): string {
  const { size, mtimeMs, ino } = file.stamp;
  return createHash('sha256').update(`${ANALYZER_VERSION}:${file.rel}:${size}:${mtimeMs}:${ino}`).digest('hex').slice(0, 16);
}

function pickTags(common: { title?: string; artist?: string; album?: string }): Tags {
  const tags: Tags = {};
  if (common.title) tags.title = common.title;
  if (common.artist) tags.artist = common.artist;
  if (common.album) tags.album = common.album;
  return tags;
}

/** A file that can be served: its record (id is the catalog's to give) and its blocks. */
function servable(
  file: FoundFile,
  blocks: BlockSpan[],
  audio: Pick<SongInfo, 'duration' | 'format' | 'sampleRate' | 'channels' | 'bits' | 'bytes'>,
  tags: Tags,
  warning: string | undefined,
): Analysis {
  return {
    ok: true,
    ...(warning ? { warning } : {}),
    song: {
      path: file.abs,
      stamp: file.stamp,
      blocks,
      info: { file: file.rel, ...tags, ...audio, blocks: blocks.length, etag: etagOf(file) },
    },
  };
}

/** Trailing bytes that are a known tag are expected; anything else means a cut-off file. */
function describeTail(buf: Buffer, audioEnd: number): string | undefined {
  const tail = buf.length - audioEnd;
  if (tail === 0) return undefined;
  const text = buf.toString('latin1', audioEnd, Math.min(buf.length, audioEnd + 12));
  if ((tail === 128 && text.startsWith('TAG')) || text.startsWith('APETAGEX') || text.startsWith('LYRICS') || text.startsWith('ID3')) {
    return undefined;
  }
  return `${tail} bytes after the last complete frame are not served (cut-off file?)`;
}

/**
 * Buffers that whole files are read into, kept for the next file: a cold scan reads gigabytes,
 * and a fresh buffer per file costs more than the read itself.
 */
const spareBuffers: Buffer[] = [];

/** Reads the whole file into `buffer` (large enough), returning the part filled. */
async function readWhole(file: FoundFile, buffer: Buffer): Promise<Buffer> {
  const handle = await openScanned(file.abs, file.stamp, file.rel);
  try {
    let filled = 0;
    while (filled < file.stamp.size) {
      const { bytesRead } = await handle.read(buffer, filled, file.stamp.size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * Tags sit before the audio (ID3v2) or after it (ID3v1, APE): music-metadata is given those
 * stretches only, which halves its time on a long song, and finds the same tags.
 */
async function readMp3Tags(buf: Buffer, audioStart: number): Promise<Tags> {
  const quick = quickTags(buf);
  if (quick) return quick;
  const headEnd = audioStart + 4096;
  const tags = buf.length <= headEnd + 65536 ? buf : Buffer.concat([buf.subarray(0, headEnd), buf.subarray(buf.length - 65536)]);
  try {
    const meta = await parseBuffer(tags, { mimeType: 'audio/mpeg', size: tags.length }, { duration: false, skipCovers: true });
    return pickTags(meta.common);
  } catch {
    return {}; // unreadable tags do not make the audio unplayable
  }
}

async function analyzeMp3(file: FoundFile): Promise<Analysis> {
  if (file.stamp.size > MAX_MP3_BYTES) return { ok: false, reason: `larger than ${MAX_MP3_BYTES} bytes` };
  let buffer = spareBuffers.pop();
  if (!buffer || buffer.length < file.stamp.size) buffer = Buffer.allocUnsafe(Math.max(file.stamp.size, 4 << 20));
  try {
    return await analyzeMp3Bytes(file, await readWhole(file, buffer));
  } finally {
    spareBuffers.push(buffer);
  }
}

async function analyzeMp3Bytes(file: FoundFile, buf: Buffer): Promise<Analysis> {
  const scan = scanMpeg(buf);
  if (!scan) return { ok: false, reason: 'no MPEG audio frames found' };
  const tags = await readMp3Tags(buf, scan.audioStart);
  const audio = {
    duration: scan.duration,
    format: 'mp3' as const,
    sampleRate: scan.header.sampleRate,
    channels: scan.header.channels,
    bytes: scan.audioEnd - scan.audioStart,
  };
  return servable(file, scan.blocks, audio, tags, describeTail(buf, scan.audioEnd));
}

async function analyzeWav(file: FoundFile): Promise<Analysis> {
  const handle = await openScanned(file.abs, file.stamp, file.rel);
  let head: Buffer;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(Math.min(WAV_HEAD_BYTES, file.stamp.size)), 0, Math.min(WAV_HEAD_BYTES, file.stamp.size), 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const parsed = parseWav(head, file.stamp.size);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const layout = parsed.layout;
  let tags: Tags = {};
  try {
    tags = pickTags((await parseFile(file.abs, { duration: false, skipCovers: true })).common);
  } catch {
    // As for MP3: tags are a nicety.
  }
  const blocks = wavBlocks(layout);
  const warning =
    layout.claimedBytes > layout.dataBytes + layout.blockAlign
      ? `data chunk claims ${layout.claimedBytes} bytes, the file holds ${layout.dataBytes} (cut-off file?)`
      : undefined;
  const audio = {
    duration: layout.duration,
    format: 'wav' as const,
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    bits: layout.bits,
    bytes: layout.dataBytes,
  };
  return servable(file, blocks, audio, tags, warning);
}

export async function analyzeFile(file: FoundFile): Promise<Analysis> {
  if (file.stamp.size === 0) return { ok: false, reason: 'empty file' };
  try {
    return file.format === 'mp3' ? await analyzeMp3(file) : await analyzeWav(file);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
