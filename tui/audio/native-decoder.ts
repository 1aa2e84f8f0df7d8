/**
 * MP3 and FLAC decoded by the system's mpg123 and flac programs when they are installed: the same
 * libraries as the player's WebAssembly builds (libmpg123, libFLAC), as MPD uses them, at a fifth
 * to a third of the CPU (docs/benchmarks.md, Where the player's CPU goes), and with no decoder's
 * memory in the player's process. One process a song (decoder-process.ts); the song's bytes go
 * in as they come, from any block on, and its PCM comes back as the program writes it.
 *
 * The programs buffer both ways (they read several KB before decoding, and write 16 KB at a
 * time), so a piece's sound is not waited for: what has come back is given, and the rest comes
 * with the next piece or at the song's end. Only the song's first sound waits for a quarter
 * second of it, as ffmpeg's does.
 */
import { withoutLengthAndMd5 } from '../../common/audio/flac.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { DecoderProcess, FIRST_ANSWER_SECONDS, makeSpare, onPath } from './decoder-process.js';

/** Raw 16-bit little-endian PCM on the standard output, the song's own rate and channels. */
const MPG123 = ['mpg123', '-q', '--gapless', '-e', 's16', '-s', '-'];
const FLAC = ['flac', '-s', '-d', '-c', '--force-raw-format', '--endian=little', '--sign=signed', '-'];

/**
 * The program that decodes `song` to 16-bit PCM of its own channels, when it is installed: MP3,
 * and FLAC of 16 bits in one or two channels (more bits or channels take the WebAssembly decoder,
 * which gives 32-bit samples and folds channels).
 */
export function nativeDecoderOf(song: SongInfo, bits: 16 | 32): readonly string[] | undefined {
  if (bits !== 16) return undefined;
  const command =
    song.format === 'mp3'
      ? MPG123
      : song.format === 'flac' && song.bits === 16 && song.channels <= 2
        ? FLAC
        : undefined;
  return command && onPath(command[0] as string) ? command : undefined;
}

/** An mpg123 started ahead of the first MP3 song, when mpg123 is installed; whether it was. */
export function warmUpMpg123(): boolean {
  if (!onPath('mpg123')) return false;
  makeSpare(MPG123);
  return true;
}

export class NativeDecoder {
  private readonly process: DecoderProcess;
  private readonly firstFrames: number;

  /** `header`: the song's decoder header (FLAC's `fLaC` and STREAMINFO), fed before its first block. */
  constructor(command: readonly string[], song: SongInfo, header: Uint8Array | undefined, signal?: AbortSignal) {
    this.process = new DecoderProcess(command, 2 * (song.channels === 1 ? 1 : 2), signal);
    this.firstFrames = FIRST_ANSWER_SECONDS * song.sampleRate;
    if (header?.length) void this.process.write(song.format === 'flac' ? withoutLengthAndMd5(header) : header);
  }

  async decode(bytes: Uint8Array): Promise<Buffer> {
    if (bytes.length > 0) await this.process.write(bytes, this.firstFrames);
    return this.process.take(this.firstFrames);
  }

  /** Once sound came back that no decode gave yet (decode of no bytes gives it); false: the process ended without. */
  soundBack(): Promise<boolean> {
    return this.process.soundBack(this.firstFrames);
  }

  /** Frames of an MP3's block before the first, decoded for its bit reservoir: their sound is dropped. */
  async prime(bytes: Uint8Array, frames: number): Promise<void> {
    await this.process.prime(bytes, frames);
  }

  /** The rest, once the program has decoded all it was given. */
  async end(): Promise<Buffer> {
    await this.process.end();
    return this.process.take(0);
  }

  free(): void {
    this.process.free();
  }
}
