/**
 * One song written into the sink: its blocks fetched, decoded in pieces (the first one small, so
 * that its sound is out at once), from the position asked for (the block's frames before it
 * decoded and dropped), and, when listening along, its first sound placed where the leader will
 * be when it is heard.
 */
import { blockFirstSample, blockIndexAt, samplesPerFrame } from '../../common/audio/blocks.js';
import { flacBlockFirstSample } from '../../common/audio/flac.js';
import { MAX_PAGE_BYTES, oggBlockFirstSample } from '../../common/audio/ogg.js';
import { BLOCK_SECONDS } from '../../common/limits.js';
import { hasDecoderHeader, type SongInfo } from '../../common/protocol/records.js';
import { createDecoder, outputChannels, type PcmDecoder } from '../audio/decoder.js';
import { m4aBlockSoundStart } from '../audio/ffmpeg-decoder.js';
import type { BlockSource } from './block-source.js';
import { primeDecoder } from './priming.js';

/**
 * Song bytes decoded at a time: about 1 s of a 128 kbit/s MP3 (4 ms of work), 93 ms of CD-quality
 * WAV. Each piece is a wake-up of the player while it plays: half-second pieces cost about a
 * tenth more of its CPU.
 */
const DECODE_PIECE_BYTES = 16 * 1024;
/**
 * About four frames of a 128 kbit/s MP3: about 100 ms of sound, decoded in well under a ms. The
 * pieces after it double up to DECODE_PIECE_BYTES: each is decoded well before the sound already
 * written has played, even on a busy machine, where a whole piece next could leave a gap.
 */
const FIRST_PIECE_BYTES = 2 * 1024;

export interface SongSession {
  song: SongInfo;
  /** Seconds of the song at its first frame written. */
  origin: number;
  /** The sink frame (since it was opened) of that first frame: 0, or where the song before it ended. */
  startFrame: number;
  /** Frames repeated minus dropped before it (listen along). */
  startDelta: number;
  /**
   * Listening along: asked as the first sound is written, where in the song that sound should
   * be (seconds); playback skips to there, or waits with silence, before anything is heard.
   */
  align?: (() => number | undefined) | undefined;
  abort: AbortController;
}

/** Where a song's sound goes, and who is told when its first sound is written. */
export interface SongOutput {
  blocks: BlockSource;
  /** The output's bits a sample (decoder.ts, outputBits). */
  bits: 16 | 32;
  /** PCM of `bits` and `frameBytes` a frame; resolves when there is room for more. */
  write(pcm: Buffer, frameBytes: number): Promise<void>;
  sounding(): void;
}

/**
 * Where the sound of a block that starts a play begins, in samples of the song, from its first
 * bytes: a FLAC frame header numbers its samples; an Ogg page's granule says where its packets
 * end. `more` when the bytes so far do not hold the first frame header or page whole.
 */
function blockSoundStart(song: SongInfo, header: Buffer, bytes: Buffer, whole: boolean): number | undefined | 'more' {
  if (song.format === 'flac') return flacBlockFirstSample(header, bytes);
  const found = oggBlockFirstSample(header, bytes);
  return found === undefined && !whole && bytes.length < MAX_PAGE_BYTES ? 'more' : found;
}

/** The most silence written before a start to wait for the right moment: more would be a hang, not a wait. */
const MAX_ALIGN_SILENCE_SECONDS = 0.5;

/** How far a session's first frame is to move (seconds, on: skip; back: silence first), its origin moved with it. */
function alignShift(session: SongSession, song: SongInfo): number {
  const want = session.align?.();
  if (want === undefined) return 0;
  const shift = Math.max(-MAX_ALIGN_SILENCE_SECONDS, Math.min(song.duration - session.origin, want - session.origin));
  session.origin += shift;
  return shift;
}

/**
 * `source` set going now (an async generator runs only when first read): its first item is asked
 * for at once, and handed to whoever reads it later. A failure waits for that reader.
 */
function started<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<T>> | undefined = iterator.next();
  first.catch(() => {}); // told to the reader, not unhandled meanwhile
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const next = first ?? iterator.next();
        first = undefined;
        return next;
      },
      return: async (value?: unknown) => (await iterator.return?.(value)) ?? { done: true, value: undefined },
    }),
  };
}

const NO_BYTES = Buffer.alloc(0);

/**
 * `chunks`, with an empty one between two whenever the decoder says it has sound back (PcmDecoder's
 * `soundBack`) while the next is awaited: a decoder in another process answers after its bytes went
 * in, and that sound (the song's first, at a play) should not wait for the song's next bytes.
 */
async function* withSoundBack(
  chunks: AsyncIterable<Buffer>,
  soundBack: () => Promise<boolean>,
): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  /** False once the decoder said that no sound comes without more bytes (its process ended). */
  let listening = true;
  try {
    for (;;) {
      const next = iterator.next();
      let result: IteratorResult<Buffer> | undefined;
      while (!result) {
        const first = listening ? await Promise.race([next, soundBack()]) : await next;
        if (first === true) yield NO_BYTES;
        else if (first === false) listening = false;
        else result = first;
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** Decodes one song into the sink, from its origin to its end. */
export async function writeSong(session: SongSession, out: SongOutput): Promise<void> {
  const { song } = session;
  const signal = session.abort.signal;
  const first = blockIndexAt(session.origin, song.blocks);
  // The first block is asked for before the decoder is made: a download's first bytes take a
  // round trip to the daemon and its disk, and the decoder is made meanwhile.
  const firstBlock = started(out.blocks.block(song, first, signal));
  const header = hasDecoderHeader(song.format) ? await out.blocks.header(song, signal) : undefined;
  const decoder: PcmDecoder = await createDecoder(song, header, first, signal, out.bits);
  try {
    await primeDecoder(decoder, song, first, out.blocks);
    const frameBytes = (out.bits / 8) * outputChannels(song);
    // Samples of block `first` before the position asked for are decoded and dropped; where the
    // block starts is known from its first bytes when the format's frames say it (FLAC).
    let skipFrames: number | undefined;
    const skipFrom = (blockStart: number): number =>
      Math.max(0, Math.round(session.origin * song.sampleRate) - blockStart);
    if (song.format === 'mp3' || song.format === 'wav')
      skipFrames = skipFrom(blockFirstSample(first, song.sampleRate, samplesPerFrame(song.format, song.sampleRate)));
    // M4A's sample table (its header) says where each block's sound starts, the encoder delay before block 0's.
    else if (song.format === 'm4a')
      skipFrames = skipFrom(m4aBlockSoundStart(header as Buffer, first) ?? first * BLOCK_SECONDS * song.sampleRate);
    /** The first bytes of block `first`, kept until they say where its sound starts. */
    let head: Buffer[] = [];
    let sounding = false;
    const emit = async (decoded: Buffer): Promise<void> => {
      // Given up while it was decoded (a stop, another song): its sound would play into the next's.
      if (signal.aborted) return;
      let pcm = decoded;
      if (skipFrames && skipFrames > 0) {
        const drop = Math.min(skipFrames, pcm.length / frameBytes);
        skipFrames -= drop;
        pcm = pcm.subarray(drop * frameBytes);
      }
      if (!sounding && session.align && skipFrames === 0 && pcm.length > 0) {
        // Where the first sound should be, now that it is about to be written: skip on to it, or wait with silence.
        const shift = alignShift(session, song);
        session.align = undefined;
        if (shift > 0) {
          skipFrames = Math.round(shift * song.sampleRate);
          const drop = Math.min(skipFrames, pcm.length / frameBytes);
          skipFrames -= drop;
          pcm = pcm.subarray(drop * frameBytes);
        } else if (shift < 0)
          pcm = Buffer.concat([Buffer.alloc(Math.round(-shift * song.sampleRate) * frameBytes), pcm]);
      }
      if (pcm.length === 0) return;
      const written = out.write(pcm, frameBytes);
      if (!sounding) {
        sounding = true;
        out.sounding();
      }
      await written;
    };
    /** `given`, or with the bytes held before it once they say where the sound starts; undefined while they do not yet. */
    const sayingStart = (given: Buffer, whole: boolean): Buffer | undefined => {
      if (skipFrames !== undefined) return given;
      head.push(given);
      const bytes = Buffer.concat(head);
      const start = blockSoundStart(song, header as Buffer, bytes, whole);
      if (start === 'more') return undefined;
      head = [];
      skipFrames = skipFrom(start ?? Math.round(first * BLOCK_SECONDS * song.sampleRate));
      return bytes;
    };
    let piece = decoder.firstPieceBytes ?? FIRST_PIECE_BYTES;
    for (let index = first; index < song.blocks; index++) {
      const chunks = index === first ? firstBlock : out.blocks.block(song, index, signal);
      // A decoder that answers in decode itself (in this process) is given the chunks as they are.
      const fed = decoder.soundBack ? withSoundBack(chunks, decoder.soundBack.bind(decoder)) : chunks;
      for await (const given of fed) {
        if (given.length === 0) {
          if (signal.aborted) return;
          await emit(await decoder.decode(given)); // sound back from the decoder meanwhile
          continue;
        }
        const chunk = sayingStart(given, false);
        if (!chunk) continue;
        // A cached block comes whole (30 s): decoded in pieces, its first sound is out after
        // one piece's work instead of the whole block's.
        for (let at = 0; at < chunk.length;) {
          if (signal.aborted) return;
          // The song's first pieces are small: its sound is out before the rest is decoded.
          const size = piece;
          piece = Math.min(DECODE_PIECE_BYTES, 2 * piece);
          const decoded = decoder.decode(chunk.subarray(at, at + size));
          at += size;
          await emit(decoded instanceof Promise ? await decoded : decoded);
        }
      }
      if (signal.aborted) return;
    }
    // A song shorter than its first page says (a damaged file's): what was held is decoded all the same.
    const rest = head.length ? sayingStart(Buffer.alloc(0), true) : undefined;
    if (rest?.length) await emit(await decoder.decode(rest));
    if (decoder.end) await emit(await decoder.end());
  } finally {
    decoder.free();
  }
}
