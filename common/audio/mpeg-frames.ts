/**
 * Walks the MPEG frames of an MP3 file held in memory and cuts them into blocks.
 *
 * Hand-written rather than codec-parser because the catalog walks every frame of every file:
 * codec-parser takes ~17 ms for a 100 s song here (it copies each frame), this walk well under
 * 1 ms, which is what makes a cold scan of 2,000 songs take about a second. The tests check this
 * walker against codec-parser, frame by frame, on every kind of test file.
 */
import { BlockBuilder, type BlockSpan } from './blocks.js';
import { skipId3v2Tags } from './id3.js';
import { isVbrInfoFrame, parseMpegHeader, sameStream, type MpegHeader } from './mpeg-header.js';

export interface MpegScan {
  /** The header of the first frame; version, layer and sample rate hold for the whole stream. */
  header: MpegHeader;
  /** Byte offset of the first frame (after any ID3v2 tag). */
  audioStart: number;
  /** Byte offset just past the last complete frame (before any trailing tag or cut-off frame). */
  audioEnd: number;
  /** Every frame, the Xing/Info frame included. */
  frames: number;
  /** Samples per channel, the Xing/Info frame counting none. */
  samples: number;
  duration: number;
  hasVbrInfo: boolean;
  blocks: BlockSpan[];
}

/** How far into a file the first frame is looked for, after the ID3v2 tags. */
const MAX_LEADING_JUNK = 1 << 20;

/**
 * A frame header at `at` that is followed by another frame of the same stream (or by the end of
 * the data): one header alone is too easily a false sync inside tag or image bytes.
 */
function confirmedHeader(buf: Uint8Array, at: number, reference?: MpegHeader): MpegHeader | undefined {
  const header = parseMpegHeader(buf, at);
  if (!header || (reference && !sameStream(reference, header))) return undefined;
  const next = at + header.frameBytes;
  if (next === buf.length) return header;
  const following = parseMpegHeader(buf, next);
  return following && sameStream(header, following) ? header : undefined;
}

function findFrame(buf: Uint8Array, from: number, limit: number, reference?: MpegHeader): number {
  for (let at = buf.indexOf(0xff, from); at !== -1 && at < limit; at = buf.indexOf(0xff, at + 1)) {
    if (confirmedHeader(buf, at, reference)) return at;
  }
  return -1;
}

/**
 * Finds every frame of the file and the blocks they make, or undefined when the bytes hold no
 * MPEG audio stream.
 */
export function scanMpeg(buf: Uint8Array, blockSeconds?: number): MpegScan | undefined {
  const tagEnd = skipId3v2Tags(buf);
  const audioStart = findFrame(buf, tagEnd, Math.min(buf.length, tagEnd + MAX_LEADING_JUNK));
  if (audioStart === -1) return undefined;
  const header = parseMpegHeader(buf, audioStart) as MpegHeader;
  const hasVbrInfo = isVbrInfoFrame(buf, audioStart, header);
  const blocks = new BlockBuilder(header.sampleRate, blockSeconds);

  let at = audioStart;
  let audioEnd = audioStart;
  let frames = 0;
  let samples = 0;
  while (at < buf.length) {
    const frame = parseMpegHeader(buf, at);
    if (frame && sameStream(header, frame)) {
      if (at + frame.frameBytes > buf.length) break; // cut-off last frame: not served
      blocks.frame(at, samples);
      frames++;
      if (!(frames === 1 && hasVbrInfo)) samples += frame.samples;
      at += frame.frameBytes;
      audioEnd = at;
      continue;
    }
    // Junk between frames stays in the block before it; trailing tags have no frame after them.
    const next = findFrame(buf, at + 1, buf.length, header);
    if (next === -1) break;
    at = next;
  }
  if (samples === 0) return undefined;
  return {
    header,
    audioStart,
    audioEnd,
    frames,
    samples,
    duration: samples / header.sampleRate,
    hasVbrInfo,
    blocks: blocks.finish(audioEnd, samples),
  };
}
