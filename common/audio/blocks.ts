/**
 * 30-second download blocks (PROTOCOL.md section 2): contiguous byte ranges of a song's audio
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
   * The block's 30 s window in seconds, as PROTOCOL.md's example writes it (`0.000 30.000`,
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
