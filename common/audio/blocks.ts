/**
 * 30-second download blocks (docs/protocol.md, Downloads): contiguous byte ranges of a song's audio
 * data, cut where a frame (MP3) or a sample (WAV) begins.
 */
import { BLOCK_SECONDS } from '../limits.js';

/** One block: where its bytes are in the file and which stretch of media time they hold. */
export interface BlockSpan {
  index: number;
  /** Byte offset in the file. */
  offset: number;
  length: number;
  /**
   * The block's 30 s window in seconds, as docs/protocol.md's example writes it (`0.000 30.000`,
   * `30.000 60.000`), the last one ending at the song's duration. The block's first frame starts
   * at `start` or up to one frame after it.
   */
  start: number;
  end: number;
}

/**
 * Collects frames into blocks: a frame belongs to the block whose 30 s window holds its start.
 *
 * @example
 *   const blocks = new BlockBuilder(44100);
 *   blocks.frame(offset, samplesBefore); ...; blocks.finish(audioEnd, totalSamples);
 */
export class BlockBuilder {
  readonly blocks: BlockSpan[] = [];
  private readonly samplesPerBlock: number;

  constructor(
    private readonly sampleRate: number,
    private readonly blockSeconds = BLOCK_SECONDS,
  ) {
    this.samplesPerBlock = blockSeconds * sampleRate;
  }

  /** A frame starts at byte `offset`, `samplesBefore` samples into the song. */
  frame(offset: number, samplesBefore: number): void {
    const index = Math.floor(samplesBefore / this.samplesPerBlock);
    const current = this.blocks[this.blocks.length - 1];
    if (current && current.index === index) return;
    const start = index * this.blockSeconds;
    if (current) {
      current.length = offset - current.offset;
      current.end = start;
    }
    this.blocks.push({ index, offset, length: 0, start, end: start });
  }

  /** The audio data ends at byte `end` after `totalSamples` samples. */
  finish(end: number, totalSamples: number): BlockSpan[] {
    const last = this.blocks[this.blocks.length - 1];
    if (last) {
      last.length = end - last.offset;
      last.end = totalSamples / this.sampleRate;
    }
    return this.blocks;
  }
}

/**
 * Samples in one frame: MPEG Layer III has 1152 at MPEG-1 rates (32 kHz and up) and 576 below
 * (MPEG-2 and 2.5); a PCM (WAV) frame is one sample.
 */
export function samplesPerFrame(format: 'mp3' | 'wav', sampleRate: number): number {
  if (format === 'wav') return 1;
  return sampleRate >= 32000 ? 1152 : 576;
}

/** The block whose 30 s window holds second `seconds` of a song of `blocks` blocks. */
export function blockIndexAt(seconds: number, blocks: number): number {
  return Math.min(blocks - 1, Math.max(0, Math.floor(seconds / BLOCK_SECONDS)));
}

/**
 * The song's sample at which block `index` starts: its first whole frame at or after
 * BLOCK_SECONDS x index (the rule BlockBuilder cuts by).
 *
 * @example blockFirstSample(1, 44100, 1152) // 1323648: frame 1149 starts at or after 30 s
 */
export function blockFirstSample(index: number, sampleRate: number, frameSamples: number): number {
  return Math.ceil((index * BLOCK_SECONDS * sampleRate) / frameSamples) * frameSamples;
}
