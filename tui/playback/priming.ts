/**
 * MP3 frames may borrow bits from the frames before them (the bit reservoir): a decoder that
 * starts at block `index` is first fed the last frames of block `index - 1`, when that block is on
 * disk, and their output is dropped (docs/protocol.md, Downloads).
 */
import { mpegFrameStarts, scanMpeg } from '../../common/audio/mpeg-frames.js';
import type { SongInfo } from '../../common/protocol/records.js';
import type { PcmDecoder } from '../audio/decoder.js';
import type { BlockSource } from './block-source.js';

/** Frames of the block before that are decoded and dropped: the reservoir reaches back at most 511 bytes. */
const PRIMING_FRAMES = 2;

export async function primeDecoder(
  decoder: PcmDecoder,
  song: SongInfo,
  index: number,
  blocks: BlockSource,
): Promise<void> {
  if (song.format !== 'mp3' || index === 0) return;
  const before = await blocks.cached(song, index - 1);
  const scan = before && scanMpeg(before);
  if (!before || !scan) return;
  const starts = mpegFrameStarts(before, scan);
  const first = Math.max(0, starts.length - PRIMING_FRAMES);
  const from = starts[first] ?? scan.audioStart;
  const bytes = before.subarray(from, scan.audioEnd);
  if (decoder.prime) await decoder.prime(bytes, (starts.length - first) * scan.header.samples);
  else await decoder.decode(bytes);
}
