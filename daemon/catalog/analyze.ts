/**
 * Analyses one audio file: format, duration, tags and its 30-second blocks. Never throws: a file
 * that cannot be served comes back with the reason, for the log.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { BlockSpan } from '../../common/audio/blocks.js';
import { flacBlocks, readFlacHead, type FlacHead } from '../../common/audio/flac.js';
import { parseVorbisComments } from '../../common/audio/vorbis-comment.js';
import { id3v2Length } from '../../common/audio/id3.js';
import { commentBody, oggHeaderPages, scanOgg, type OggScan } from '../../common/audio/ogg.js';
import { mp4Blocks, readMp4Audio, type Mp4Audio } from '../../common/audio/mp4.js';
import { MpegWalker, type MpegScan } from '../../common/audio/mpeg-frames.js';
import { parseWav, wavBlocks, type WavLayout } from '../../common/audio/wav.js';
import { replayGainValue, type SongInfo } from '../../common/protocol/records.js';
import { openScanned } from './open-song.js';
import type { CatalogSong, TagsHold } from './song.js';
import { quickRead } from './quick-tags.js';
import type { FoundFile } from './walk.js';
import { boundTags, pickTags, readWavTags, type Tags } from './wav-tags.js';

/** Bump when the analysis changes, so that persisted catalogs are analysed again (2: track and year; 3: album artist, disc, genre; 4: FLAC; 5: ReplayGain; 6: Ogg; 7: M4A; 8: audio keys). */
export const ANALYZER_VERSION = 8;
/** Part of every etag: bumped only when the served bytes of an unchanged file may differ, which empties every player's cache. */
const ETAG_VERSION = 1;

/**
 * The budget of one file's analysis: larger files are not analysed, and one that takes longer
 * (a slow disk, a file crafted to make a parser crawl) is given up; either is skipped with a
 * warning. The frame walk reads WALK_WINDOW_BYTES at a time, whatever the file's size.
 */
export const MAX_SONG_BYTES = 4 * 1024 ** 3;
export const ANALYSIS_MAX_MS = 30_000;
const WALK_WINDOW_BYTES = 256 * 1024;
const WAV_HEAD_BYTES = 1024 * 1024;
/** Tags are read from the head (up to this much of ID3v2, covers and all) and the last 64 KiB. */
const MAX_TAG_HEAD_BYTES = 8 * 1024 * 1024;
const TAG_TAIL_BYTES = 64 * 1024;

export type Analysis =
  | { ok: true; song: Omit<CatalogSong, 'info'> & { info: Omit<SongInfo, 'id'> }; warning?: string }
  /** `transient`: out of file descriptors, not the file's fault: the file is to be kept and analysed again later. */
  | { ok: false; reason: string; transient?: true };

/** Errors that say nothing about the file: the daemon ran out of descriptors. */
export const isTransient = (error: unknown): boolean =>
  ['EMFILE', 'ENFILE'].includes((error as { code?: string } | undefined)?.code ?? '');

function etagOf(file: FoundFile): string {
  const { size, mtimeMs, ino } = file.stamp;
  return createHash('sha256')
    .update(`${ETAG_VERSION}:${file.rel}:${size}:${mtimeMs}:${ino}`)
    .digest('hex')
    .slice(0, 16);
}

/** The audio read at each end of a song for its `audioKey`. */
const AUDIO_KEY_SPAN = 64 * 1024;

/**
 * What identifies a song's sound whatever its name, place or tags: its format, its audio's length
 * and its first and last 64 KiB of audio. Ratings and play counts follow a file renamed, moved or
 * tagged anew by it.
 */
async function audioKeyOf(
  handle: FileHandle,
  format: string,
  blocks: readonly BlockSpan[],
  bytes: number,
): Promise<string> {
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  const hash = createHash('sha256').update(`${format}:${bytes}:`);
  if (first && last) {
    hash.update(await readAt(handle, first.offset, Math.min(AUDIO_KEY_SPAN, first.length)));
    const end = last.offset + last.length;
    const tail = Math.min(AUDIO_KEY_SPAN, last.length);
    hash.update(await readAt(handle, end - tail, tail));
  }
  return hash.digest('hex').slice(0, 32);
}

/** A file that can be served: its record (id is the catalog's to give) and its blocks. */
async function servable(
  handle: FileHandle,
  file: FoundFile,
  blocks: BlockSpan[],
  audio: Pick<SongInfo, 'duration' | 'format' | 'sampleRate' | 'channels' | 'bits' | 'bytes'>,
  tags: Tags,
  warning: string | undefined,
  /** What the tags hold, when the scan read all of them (plain ID3, Vorbis comments, FLAC's PICTURE). */
  holds?: TagsHold,
  /** Its decoder header, kept when it is at most KEPT_HEADER_BYTES. */
  decoderHeader?: Uint8Array,
): Promise<Analysis> {
  const keptHeader = decoderHeader && decoderHeader.length <= KEPT_HEADER_BYTES ? decoderHeader : undefined;
  return {
    ok: true,
    ...(warning ? { warning } : {}),
    song: {
      path: file.abs,
      stamp: file.stamp,
      audioKey: await audioKeyOf(handle, audio.format, blocks, audio.bytes),
      blocks,
      info: { file: file.rel, ...tags, ...audio, blocks: blocks.length, etag: etagOf(file) },
      ...(holds ? { tagsHold: holds } : {}),
      ...(keptHeader ? { decoderHeader: Buffer.from(keptHeader).toString('base64') } : {}),
    },
  };
}

/** A decoder header kept in the catalog at most: FLAC's 42 bytes, Opus's pages; Vorbis's setup is KiBs. */
const KEPT_HEADER_BYTES = 1024;

/** Trailing bytes that are a known tag are expected; anything else means a cut-off file. */
function describeTail(start: Buffer, tail: number): string | undefined {
  if (tail === 0) return undefined;
  const text = start.toString('latin1', 0, 12);
  if (
    (tail === 128 && text.startsWith('TAG')) ||
    text.startsWith('APETAGEX') ||
    text.startsWith('LYRICS') ||
    text.startsWith('ID3')
  ) {
    return undefined;
  }
  return `${tail} bytes after the last complete frame are not served (cut-off file?)`;
}

/** A window buffer per thread, kept for the next file: a cold scan walks thousands. */
let windowBuffer: Buffer | undefined;

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Where the audio may start: past every ID3v2 tag at the head (some taggers stack them). */
async function audioSearchStart(handle: FileHandle, size: number): Promise<number> {
  let at = 0;
  for (let n = 0; n < 16 && at + 10 <= size; n++) {
    const length = id3v2Length(await readAt(handle, at, 10));
    if (length === 0) break;
    at += length;
  }
  return at;
}

/** Every frame of the file, walked window by window within the time budget. */
async function walkFrames(handle: FileHandle, size: number, deadline: number): Promise<MpegScan | undefined> {
  const walker = new MpegWalker(await audioSearchStart(handle, size));
  const buffer = (windowBuffer ??= Buffer.allocUnsafe(WALK_WINDOW_BYTES));
  windowBuffer = undefined; // two analyses at once on one thread each get their own
  try {
    let at: number | undefined = 0;
    while (at !== undefined) {
      if (Date.now() > deadline) throw new Error('the analysis ran out of its time budget; skipped');
      const { bytesRead } = await handle.read(buffer, 0, Math.min(WALK_WINDOW_BYTES, size - at), at);
      const next: number | undefined = walker.walk(
        buffer.subarray(0, bytesRead),
        at,
        bytesRead === 0 || at + bytesRead >= size,
      );
      if (next !== undefined && next <= at) throw new Error(`the frame walk made no progress at byte ${at}`);
      at = next;
    }
    return walker.finish();
  } finally {
    windowBuffer = buffer;
  }
}

/**
 * Tags sit before the audio (ID3v2) or after it (ID3v1, APE): only those stretches are read, and
 * music-metadata is given them alone, which also halves its time on a long song.
 */
async function readMp3Tags(
  handle: FileHandle,
  size: number,
  audioStart: number,
): Promise<{ tags: Tags; holds?: TagsHold }> {
  const headEnd = Math.min(size, audioStart + 4096, MAX_TAG_HEAD_BYTES);
  const tags =
    size <= headEnd + TAG_TAIL_BYTES
      ? await readAt(handle, 0, size)
      : Buffer.concat([await readAt(handle, 0, headEnd), await readAt(handle, size - TAG_TAIL_BYTES, TAG_TAIL_BYTES)]);
  const quick = quickRead(tags);
  if (quick) return { tags: boundTags(quick.tags), holds: quick.holds };
  try {
    // Loaded when first needed: a tenth of a second of every daemon's start otherwise, and a
    // catalog kept from the last run, or tags the quick reader takes, need none (docs/benchmarks.md).
    const { parseBuffer } = await import('music-metadata');
    const meta = await parseBuffer(
      tags,
      { mimeType: 'audio/mpeg', size: tags.length },
      { duration: false, skipCovers: true },
    );
    return { tags: pickTags(meta.common) };
  } catch {
    return { tags: {} }; // unreadable tags do not make the audio unplayable
  }
}

async function analyzeMp3(file: FoundFile, deadline: number): Promise<Analysis> {
  const handle = await openScanned(file.abs, file.stamp, file.rel);
  try {
    const size = file.stamp.size;
    const scan = await walkFrames(handle, size, deadline);
    if (!scan) return { ok: false, reason: 'no MPEG audio frames found' };
    const { tags, holds } = await readMp3Tags(handle, size, scan.audioStart);
    const audio = {
      duration: scan.duration,
      format: 'mp3' as const,
      sampleRate: scan.header.sampleRate,
      channels: scan.header.channels,
      bytes: scan.audioEnd - scan.audioStart,
    };
    const tail = await readAt(handle, scan.audioEnd, Math.min(16, size - scan.audioEnd));
    const warning = describeTail(tail, size - scan.audioEnd);
    return await servable(handle, file, scan.blocks, audio, tags, warning, holds);
  } finally {
    await handle.close();
  }
}

async function analyzeWav(file: FoundFile): Promise<Analysis> {
  const handle = await openScanned(file.abs, file.stamp, file.rel);
  try {
    const parsed = parseWav(await readAt(handle, 0, Math.min(WAV_HEAD_BYTES, file.stamp.size)), file.stamp.size);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    const tags = await readWavTags((position, length) => readAt(handle, position, length), file.stamp.size);
    return await wavSong(handle, file, parsed.layout, tags);
  } finally {
    await handle.close();
  }
}

function wavSong(handle: FileHandle, file: FoundFile, layout: WavLayout, tags: Tags): Promise<Analysis> {
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
  return servable(handle, file, blocks, audio, tags, warning);
}

/** The bytes of a FLAC file's head read at once: its metadata is many small reads. */
const FLAC_HEAD_BYTES = 64 * 1024;

/** Reads of `handle`, those inside its first FLAC_HEAD_BYTES served from one read of them. */
function headReader(handle: FileHandle, size: number): (position: number, length: number) => Promise<Buffer> {
  let head: Promise<Buffer> | undefined;
  return async (position, length) => {
    if (position + length > FLAC_HEAD_BYTES || position + length > size) return readAt(handle, position, length);
    head ??= readAt(handle, 0, Math.min(size, FLAC_HEAD_BYTES));
    return (await head).subarray(position, position + length);
  };
}

/** A FLAC file's metadata: where its audio starts (past any ID3v2 tag), and what a decoder needs first. */
export async function flacLayoutOf(
  handle: FileHandle,
  size: number,
  /** Where `fLaC` is, past any ID3v2 tag, when the caller knows it already. */
  start?: number,
): Promise<FlacHead | { ok: false; reason: string }> {
  return readFlacHead(headReader(handle, size), start ?? (await audioSearchStart(handle, size)), size);
}

/** The end of a FLAC stream's frames: before an ID3v1 tag some taggers append. */
async function flacAudioEnd(handle: FileHandle, size: number): Promise<number> {
  if (size < 128) return size;
  const tail = await readAt(handle, size - 128, 3);
  return tail.toString('latin1') === 'TAG' ? size - 128 : size;
}

/** The ReplayGain tags among `texts` (keys in lower case, values as written), those that read. */
function replayGainTags(texts: Record<string, string>): Tags {
  const gains: Tags = {};
  const fields = [
    ['replaygain_track_gain', 'trackGain'],
    ['replaygain_track_peak', 'trackPeak'],
    ['replaygain_album_gain', 'albumGain'],
    ['replaygain_album_peak', 'albumPeak'],
  ] as const;
  for (const [key, field] of fields) {
    const value = replayGainValue(key, texts[key]);
    if (value !== undefined) gains[field] = value;
  }
  return gains;
}

/**
 * Tags from Vorbis comments, FLAC's or Ogg's (unreadable ones: none; the audio still plays), and
 * whether they hold a picture and lyrics (none when there are no comments; unknown when they do
 * not read).
 */
function readVorbisCommentTags(comments: Uint8Array | undefined, opusGain?: number): { tags: Tags; holds?: TagsHold } {
  if (!comments) return { tags: {}, holds: { picture: false, lyrics: false } };
  const read = parseVorbisComments(comments);
  if (!read) return { tags: {} };
  const { replayGain, holds, ...tags } = read;
  const gains = replayGainTags(replayGain);
  if (opusGain !== undefined) Object.assign(gains, opusReplayGain(replayGain, opusGain));
  return { tags: boundTags({ ...tags, ...gains }), holds };
}

async function analyzeFlac(file: FoundFile, deadline: number): Promise<Analysis> {
  const handle = await openScanned(file.abs, file.stamp, file.rel);
  try {
    const size = file.stamp.size;
    const id3End = await audioSearchStart(handle, size);
    const head = await flacLayoutOf(handle, size, id3End);
    if (!head.ok) return { ok: false, reason: `not a FLAC stream: ${head.reason}` };
    const { layout } = head;
    const end = await flacAudioEnd(handle, size);
    const read = async (position: number, length: number): Promise<Uint8Array> => {
      if (Date.now() > deadline) throw new Error('the analysis ran out of its time budget; skipped');
      return readAt(handle, position, length);
    };
    const { blocks, totalSamples } = await flacBlocks(read, layout, end);
    const audio = {
      duration: totalSamples / layout.info.sampleRate,
      format: 'flac' as const,
      sampleRate: layout.info.sampleRate,
      channels: layout.info.channels,
      bits: layout.info.bits,
      bytes: end - layout.audioStart,
    };
    // An ID3v2 tag some taggers put before `fLaC`: its tags where the Vorbis comments have none.
    const id3 = id3End > 0 ? (await readMp3Tags(handle, id3End, id3End)).tags : {};
    const vorbis = readVorbisCommentTags(head.comments);
    // Known when every tag was read: no ID3v2 before it (music-metadata reads its pictures too).
    const holds =
      id3End === 0 && !head.commentsUnread && vorbis.holds
        ? { picture: head.picture || vorbis.holds.picture, lyrics: vorbis.holds.lyrics }
        : undefined;
    const tags = { ...id3, ...vorbis.tags };
    return await servable(handle, file, blocks, audio, tags, undefined, holds, layout.decoderHeader);
  } finally {
    await handle.close();
  }
}

/**
 * Opus keeps loudness as R128_TRACK_GAIN and R128_ALBUM_GAIN (RFC 7845, 5.2.1): Q7.8 dB toward
 * -23 LUFS, on top of the header's output gain. As ReplayGain (toward -18 LUFS): 5 dB more, and
 * the output gain, which this player's decoder does not apply, counted in. Peaks are not kept.
 */
function opusReplayGain(comments: Record<string, string>, outputGain: number): Tags {
  const gains: Tags = {};
  const read = (key: string): number | undefined => {
    const text = comments[key];
    return text !== undefined && /^\s*[-+]?\d+\s*$/.test(text) ? Number(text) / 256 + 5 + outputGain : undefined;
  };
  const track = read('r128_track_gain');
  const album = read('r128_album_gain');
  if (track !== undefined) gains.trackGain = Math.round(track * 100) / 100;
  if (album !== undefined) gains.albumGain = Math.round(album * 100) / 100;
  return gains;
}

/** The Ogg stream of `handle`: its pages walked, the reads bounded by the analysis's deadline. */
export async function scanOggFile(
  handle: FileHandle,
  size: number,
  options: { deadline?: number; headersOnly?: boolean } = {},
): Promise<OggScan> {
  const { deadline = Infinity, headersOnly = false } = options;
  return scanOgg((position, length) => readAt(handle, position, length), size, {
    headersOnly,
    check: () => {
      if (Date.now() > deadline) throw new Error('the analysis ran out of its time budget; skipped');
    },
  });
}

async function analyzeOgg(file: FoundFile, deadline: number): Promise<Analysis> {
  const handle = await openScanned(file.abs, file.stamp, file.rel);
  try {
    const scan = await scanOggFile(handle, file.stamp.size, { deadline });
    const { identification: id } = scan;
    const audio = {
      duration: scan.totalSamples / id.sampleRate,
      format: id.codec === 'opus' ? ('opus' as const) : ('ogg' as const),
      sampleRate: id.sampleRate,
      channels: id.channels,
      bytes: scan.audioEnd - scan.audioStart,
    };
    const comments = commentBody(id.codec, scan.headerPackets[1] as Uint8Array);
    const { tags, holds } = readVorbisCommentTags(comments, id.codec === 'opus' ? id.outputGain : undefined);
    const header = oggHeaderPages(scan.headerPackets, scan.serial);
    return await servable(handle, file, scan.blocks, audio, tags, scan.stoppedEarly, holds, header);
  } finally {
    await handle.close();
  }
}

/** An MP4 file's audio track, read from its `moov`. */
export async function readMp4File(handle: FileHandle, size: number): Promise<Mp4Audio> {
  return readMp4Audio((position, length) => readAt(handle, position, length), size);
}

/** MP4 tags, the freeform ReplayGain ones too. */
function mp4Tags(audio: Mp4Audio): Tags {
  const { freeform, ...tags } = audio.tags;
  const gains = replayGainTags(freeform);
  return boundTags({ ...tags, ...gains });
}

async function analyzeM4a(file: FoundFile): Promise<Analysis> {
  const handle = await openScanned(file.abs, file.stamp, file.rel);
  try {
    const audio = await readMp4File(handle, file.stamp.size);
    const blocks = mp4Blocks(audio).map(({ firstSample: _, ...span }) => span);
    const last = blocks[blocks.length - 1];
    if (!last) return { ok: false, reason: 'no audio samples' };
    const info = {
      duration: audio.totalSamples / audio.sampleRate,
      format: 'm4a' as const,
      sampleRate: audio.sampleRate,
      channels: audio.channels,
      ...(audio.bits ? { bits: audio.bits } : {}),
      bytes: last.offset + last.length - audio.dataStart,
    };
    return await servable(handle, file, blocks, info, mp4Tags(audio), undefined);
  } catch (error) {
    if (isTransient(error)) throw error;
    return { ok: false, reason: `not served: ${(error as Error).message}` };
  } finally {
    await handle.close();
  }
}

/** `budgetMs`: the time the analysis may take (tests make it small). */
export async function analyzeFile(file: FoundFile, budgetMs = ANALYSIS_MAX_MS): Promise<Analysis> {
  if (file.stamp.size === 0) return { ok: false, reason: 'empty file' };
  if (file.stamp.size > MAX_SONG_BYTES) return { ok: false, reason: `larger than ${MAX_SONG_BYTES / 1024 ** 3} GiB` };
  try {
    const deadline = Date.now() + budgetMs;
    switch (file.format) {
      case 'mp3':
        return await analyzeMp3(file, deadline);
      case 'wav':
        return await analyzeWav(file);
      case 'flac':
        return await analyzeFlac(file, deadline);
      case 'ogg':
      case 'opus':
        return await analyzeOgg(file, deadline);
      case 'm4a':
        return await analyzeM4a(file);
    }
  } catch (error) {
    return { ok: false, reason: (error as Error).message, ...(isTransient(error) ? { transient: true as const } : {}) };
  }
}
