/**
 * Song bytes to PCM (16-bit; 32-bit for a song of more than 16 bits to a sink that takes it), fed
 * block after block (docs/protocol.md: one decoder fed block after block gives the whole file's
 * output bit-exactly). MP3 and 16-bit FLAC through the system's mpg123 and flac when they are
 * installed (native-decoder.ts), else, as Ogg Vorbis and Opus always, through WebAssembly builds:
 * mpg123-decoder, @wasm-audio-decoders/flac (libFLAC), @wasm-audio-decoders/ogg-vorbis (libvorbis)
 * and ogg-opus-decoder (libopus); M4A through ffmpeg; WAV is PCM already, only converted to the
 * output's bits.
 */
import { MPEGDecoder } from 'mpg123-decoder';
import { toInt16, toInt32 } from '../../common/audio/pcm.js';
import { FfmpegDecoder, hasFfmpeg, warmUpFfmpeg } from './ffmpeg-decoder.js';
import { NativeDecoder, nativeDecoderOf, warmUpMpg123 } from './native-decoder.js';
import type { SongFormat, SongInfo } from '../../common/protocol/records.js';

/**
 * The formats this player lists beyond the contract's MP3 and WAV, told to the daemon with
 * `formats`. M4A is among them with or without an ffmpeg: without one its songs are listed as not
 * playable (unplayableFormats), so that a library of them does not look empty.
 */
export const extraFormats = (): SongFormat[] => ['flac', 'ogg', 'opus', 'm4a'];

const NO_FFMPEG = 'M4A is decoded by ffmpeg, which is not installed (apt install ffmpeg)';

/** The formats listed that cannot be played here, and why. */
export const unplayableFormats = (): Map<SongFormat, string> => new Map(hasFfmpeg() ? [] : [['m4a', NO_FFMPEG]]);

/** A decoder that answers at once (MP3, WAV): the radio's, whose frames are decoded as they come. */
export interface SyncPcmDecoder {
  decode(bytes: Uint8Array): Buffer;
  free(): void;
}

export interface PcmDecoder {
  /**
   * Interleaved 16-bit little-endian PCM for the bytes given (may be empty until a frame
   * completes). A decoder whose library answers through a promise returns one.
   */
  decode(bytes: Uint8Array): Buffer | Promise<Buffer>;
  /**
   * A decoder in another process answers after `decode` returns: resolves true once sound came
   * back that no decode gave yet (decode of no bytes gives it), false if none will come without
   * more bytes. Its writer takes that sound while it waits for the song's next bytes.
   */
  soundBack?(): Promise<boolean>;
  /**
   * The bytes of the song's first piece, for a decoder in another process: each piece waits for
   * its answer, so a first piece that holds the whole first answer is one round trip to it where
   * small pieces would be several. Unset: the writer's own small first piece.
   */
  readonly firstPieceBytes?: number;
  /** What it still holds once the song's last bytes are in (a FLAC frame ends only where the next begins). */
  end?(): Promise<Buffer>;
  /**
   * Bytes fed for what they leave in the decoder (an MP3's bit reservoir), their `frames` of sound
   * dropped; a decoder without it is fed them with decode, its answer dropped.
   */
  prime?(bytes: Uint8Array, frames: number): Promise<void>;
  free(): void;
}

/** Output channels: the sound device gets mono or stereo; more WAV channels are folded to two. */
export const outputChannels = (song: SongInfo): 1 | 2 => (song.channels === 1 ? 1 : 2);

/**
 * Output bits: a song of more than 16 bits (FLAC, WAV, ALAC) goes to a sink that takes 32-bit PCM
 * as it is, its samples in the top 24 bits (MPD plays it so too); everything else is 16-bit.
 */
export const outputBits = (song: SongInfo, highResolution: boolean): 16 | 32 =>
  highResolution && (song.bits ?? 16) > 16 ? 32 : 16;

/**
 * Float channels to interleaved PCM of `bits`. Typed arrays are native-endian; every machine this
 * runs on is little-endian, as PCM here is. libFLAC's floats are a stream's samples over 2^(bits-1),
 * so they come back exact: a 16-bit stream's as 16 bits, a 24-bit one's in the top 24 of 32.
 */
function interleave(channelData: Float32Array[], frames: number, channels: 1 | 2, bits: 16 | 32 = 16): Buffer {
  const samples = bits === 32 ? new Int32Array(frames * channels) : new Int16Array(frames * channels);
  const convert = bits === 32 ? toInt32 : toInt16;
  const left = channelData[0] ?? new Float32Array(frames);
  const right = channelData[1] ?? left;
  if (channels === 1) for (let i = 0; i < frames; i++) samples[i] = convert(left[i] as number);
  else {
    for (let i = 0; i < frames; i++) {
      samples[2 * i] = convert(left[i] as number);
      samples[2 * i + 1] = convert(right[i] as number);
    }
  }
  return Buffer.from(samples.buffer, 0, samples.byteLength);
}

class Mp3Decoder implements PcmDecoder {
  constructor(
    private readonly decoder: MPEGDecoder,
    private readonly channels: 1 | 2,
  ) {}

  decode(bytes: Uint8Array): Buffer {
    const out = this.decoder.decode(bytes);
    return interleave(out.channelData, out.samplesDecoded, this.channels);
  }

  free(): void {
    this.decoder.free();
  }
}

interface DecodedAudio {
  channelData: Float32Array[];
  samplesDecoded: number;
  errors: Array<{ message: string }>;
}

/** A decoder of the mpg123-decoder family that answers through a promise: FLAC's, Ogg Vorbis's, Ogg Opus's. */
interface WasmDecoder {
  ready: Promise<void>;
  /** ogg-opus-decoder's types say it answers at once; it answers through a promise, as the others do. */
  decode(bytes: Uint8Array): Promise<DecodedAudio> | DecodedAudio;
  flush(): Promise<DecodedAudio>;
  free(): void;
}

/**
 * FLAC, Ogg Vorbis or Opus: fed the song's decoder header (docs/protocol.md, Formats: FLAC's
 * STREAMINFO, Ogg's header pages) and then its frames or pages from any block on. FLAC is exact:
 * a 16-bit stream comes out as its samples. More than two channels keep the first two, as WAV's do.
 */
class HeaderedDecoder implements PcmDecoder {
  constructor(
    private readonly decoder: WasmDecoder,
    private readonly channels: 1 | 2,
    /** FLAC: a frame libFLAC cannot decode (damage) ends the song, said. Opus and Vorbis conceal. */
    private readonly failsOn: string | undefined,
    private readonly bits: 16 | 32,
  ) {}

  async decode(bytes: Uint8Array): Promise<Buffer> {
    return this.pcmOf(await this.decoder.decode(bytes));
  }

  async end(): Promise<Buffer> {
    return this.pcmOf(await this.decoder.flush());
  }

  private pcmOf(out: DecodedAudio): Buffer {
    const error = out.errors[0];
    if (error && this.failsOn) throw new Error(`${this.failsOn}: ${error.message}`);
    return interleave(out.channelData, out.samplesDecoded, this.channels, this.bits);
  }

  free(): void {
    this.decoder.free();
  }
}

class WavDecoder implements PcmDecoder {
  private carry = Buffer.alloc(0);
  private readonly inFrame: number;

  constructor(
    private readonly bits: number,
    private readonly inChannels: number,
    private readonly outChannels: 1 | 2,
    private readonly outBits: 16 | 32,
  ) {
    this.inFrame = (bits / 8) * inChannels;
  }

  decode(bytes: Uint8Array): Buffer {
    const data = this.carry.length
      ? Buffer.concat([this.carry, bytes])
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const frames = Math.floor(data.length / this.inFrame);
    this.carry = Buffer.from(data.subarray(frames * this.inFrame));
    if (this.bits === this.outBits && this.inChannels === this.outChannels)
      return Buffer.from(data.subarray(0, frames * this.inFrame));
    const outWidth = this.outBits / 8;
    const pcm = Buffer.allocUnsafe(frames * this.outChannels * outWidth);
    const width = this.bits / 8;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < this.outChannels; c++) {
        const at = i * this.inFrame + Math.min(c, this.inChannels - 1) * width;
        const to = (i * this.outChannels + c) * outWidth;
        // 8-bit WAV is unsigned; wider samples keep their top 16 bits, or come whole into 32.
        if (this.outBits === 16) {
          const sample = this.bits === 8 ? ((data[at] as number) - 128) << 8 : data.readInt16LE(at + width - 2);
          pcm.writeInt16LE(sample, to);
        } else {
          pcm.writeInt32LE(
            this.bits === 8 ? ((data[at] as number) - 128) << 24 : data.readIntLE(at, width) << (32 - this.bits),
            to,
          );
        }
      }
    }
    return pcm;
  }

  free(): void {}
}

let systemDecoders = true;

/**
 * Whether MP3 and FLAC are decoded by the system's mpg123 and flac when installed (the default),
 * or always by the player's own WebAssembly decoders (`--decoders built-in`).
 */
export function useSystemDecoders(use: boolean): void {
  systemDecoders = use;
}

/**
 * A song's decoder, to be fed from block `firstBlock` on. MP3 is decoded gapless, as MPD and
 * cmus do: when it starts at the song's first frame, the encoder delay and padding that LAME
 * records in its Info frame are trimmed, so the song is exactly its original samples (no 25 ms
 * of silence first). M4A's end is cut where its sample table says the sound ends.
 */
export async function createDecoder(
  song: SongInfo,
  header: Buffer = Buffer.alloc(0),
  firstBlock = 0,
  /** The song given up: a decoder that is a process ends then, not when the writer comes back. */
  signal?: AbortSignal,
  /** 32: the song's more than 16 bits to a sink that takes them (outputBits). */
  bits: 16 | 32 = 16,
): Promise<PcmDecoder> {
  const native = systemDecoders ? nativeDecoderOf(song, bits) : undefined;
  if (native) return new NativeDecoder(native, song, header, signal);
  if (song.format === 'wav') return new WavDecoder(song.bits ?? 16, song.channels, outputChannels(song), bits);
  if (song.format === 'm4a') {
    if (!hasFfmpeg()) throw new Error(NO_FFMPEG);
    return FfmpegDecoder.open(header, firstBlock, outputChannels(song), signal, bits);
  }
  if (song.format !== 'mp3') {
    // Its libFLAC decodes up to 24 bits: a 32-bit stream (flac 1.4 writes them) comes out silent.
    if (song.format === 'flac' && (song.bits ?? 16) > 24)
      throw new Error(`${song.bits}-bit FLAC is not played yet (24 bits at most)`);
    const wasm = await spareOr(song.format, () => newWasmDecoder(song.format as HeaderedFormat));
    const failsOn = song.format === 'flac' ? 'FLAC' : undefined;
    const decoder = new HeaderedDecoder(wasm, outputChannels(song), failsOn, bits);
    try {
      await decoder.decode(header);
    } catch (error) {
      decoder.free(); // its WebAssembly memory is not the garbage collector's
      throw error;
    }
    return decoder;
  }
  return new Mp3Decoder(await spareOr('mp3', () => newMpegDecoder(true)), outputChannels(song));
}

type HeaderedFormat = 'flac' | 'ogg' | 'opus';

/** A WebAssembly decoder of FLAC, Ogg Vorbis or Opus, ready. Loaded with the first song of its format: a player of MP3s never compiles them. */
async function newWasmDecoder(format: HeaderedFormat): Promise<WasmDecoder> {
  const wasm: WasmDecoder =
    format === 'flac'
      ? new (await import('@wasm-audio-decoders/flac')).FLACDecoder()
      : format === 'opus'
        ? new (await import('ogg-opus-decoder')).OggOpusDecoder()
        : new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder();
  await wasm.ready;
  return wasm;
}

/** After a song's start, its first sound is out by then (a play is 10-20 ms from key to sound). */
const SPARE_AFTER_MS = 200;

/**
 * Decoders made ahead, one for each format played so far: a song takes its format's spare, and
 * the next is made a moment later. WebAssembly's instantiation takes 0.5-40 ms (the first few of
 * a format the longest), and made at once it held up the song's first sound; made at the song's
 * start, it held up the first bytes of its download as they came (traced for MP3: 1-6 ms).
 */
const spares = new Map<SongFormat, { made?: Promise<unknown> | undefined; timer?: NodeJS.Timeout }>();

function spareOr<T>(format: SongFormat, make: () => Promise<T>): Promise<T> {
  const spare = spares.get(format) ?? {};
  const made = (spare.made as Promise<T> | undefined) ?? make();
  spare.made = undefined;
  clearTimeout(spare.timer);
  spare.timer = setTimeout(() => (spare.made ??= madeAhead(make())), SPARE_AFTER_MS).unref();
  spares.set(format, spare);
  return made;
}

/** A decoder being made ahead: its failure is the song's that takes it, not an unhandled rejection meanwhile. */
function madeAhead<T>(made: Promise<T>): Promise<T> {
  made.catch(() => {});
  return made;
}

/** An MP3 decoder, ready; gapless: LAME's encoder delay and padding trimmed when its Info frame is read. */
async function newMpegDecoder(gapless: boolean): Promise<MPEGDecoder> {
  const decoder = new MPEGDecoder({ enableGapless: gapless });
  await decoder.ready;
  return decoder;
}

/**
 * Readies the MP3 decoder ahead of the first play. With the system's mpg123, starts one (10 ms
 * here). Else compiles the decoder's WebAssembly and runs its decoding once: the first decoder
 * costs ~25 ms and its first frames ~8 ms more, later ones well under 1 ms; it decodes frames of
 * silence made here, a Layer III header (MPEG-1, 128 kbit/s, 44.1 kHz) over zeros, whose side
 * information is empty. The radio's decoder is the WebAssembly one either way, compiled when the
 * radio is first turned on.
 */
export async function warmUpDecoders(): Promise<void> {
  if (systemDecoders && warmUpMpg123()) return;
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  const decoder = await createMp3Decoder(2, true);
  decoder.decode(Buffer.concat([frame, frame, frame, frame]));
  decoder.free();
  const spare = spares.get('mp3') ?? {};
  spare.made ??= madeAhead(newMpegDecoder(true));
  spares.set('mp3', spare);
}

/** Readies what a library's songs need beyond MP3's decoder: an ffmpeg started ahead when it holds M4A songs. */
export function warmUpFor(songs: readonly SongInfo[]): void {
  if (songs.some((song) => song.format === 'm4a')) warmUpFfmpeg();
}

/** An MP3 decoder on its own (the radio: frames of any song, no Info frame, nothing to trim). */
export async function createMp3Decoder(channels: 1 | 2, gapless = false): Promise<SyncPcmDecoder> {
  return new Mp3Decoder(await newMpegDecoder(gapless), channels);
}
