/**
 * What a song's tags carry beyond its record: the front cover (ID3 APIC, FLAC PICTURE, Vorbis
 * METADATA_BLOCK_PICTURE, MP4 covr) and the lyrics (ID3 USLT and SYLT, Vorbis LYRICS, MP4 ©lyr),
 * read by music-metadata in a worker thread (embedded-reader.ts), never in the event loop.
 */
import type { FileStamp } from './song.js';
import { openScanned } from './open-song.js';

/** A picture larger than this is not served. */
export const MAX_PICTURE_BYTES = 16 * 1024 * 1024;

export interface EmbeddedRequest {
  path: string;
  stamp: FileStamp;
  /** The song's name in the library, for messages. */
  file: string;
  want: 'picture' | 'lyrics';
}

export interface Picture {
  mime: string;
  data: Uint8Array;
}

export type EmbeddedResult =
  | { picture?: Picture; lyrics?: string; tooLarge?: number }
  /** The file could not be read as scanned (changed, vanished, out of descriptors). */
  | { error: string };

const stamp = (ms: number): string => {
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(2).padStart(5, '0');
  return `[${String(minutes).padStart(2, '0')}:${seconds}]`;
};

export async function readEmbedded(request: EmbeddedRequest): Promise<EmbeddedResult> {
  let handle;
  try {
    handle = await openScanned(request.path, request.stamp, request.file);
  } catch (error) {
    return { error: (error as Error).message };
  }
  try {
    const { parseFile, selectCover, TimestampFormat } = await import('music-metadata');
    // The descriptor checked above, opened again through /proc: the file the scan saw, whatever its path is now.
    const meta = await parseFile(`/proc/self/fd/${handle.fd}`, {
      duration: false,
      skipCovers: request.want !== 'picture',
    });
    if (request.want === 'picture') {
      const cover = selectCover(meta.common.picture);
      if (!cover) return {};
      if (cover.data.length > MAX_PICTURE_BYTES) return { tooLarge: cover.data.length };
      return { picture: { mime: cover.format, data: cover.data } };
    }
    for (const tag of meta.common.lyrics ?? []) {
      const timed = (tag.syncText ?? []).filter((line) => line.timestamp !== undefined);
      // SYLT's stamps given in ms become LRC, so that one parser reads every kind.
      if (timed.length > 0 && tag.timeStampFormat === TimestampFormat.milliseconds)
        return { lyrics: timed.map((line) => `${stamp(line.timestamp as number)}${line.text}`).join('\n') };
      if (tag.text?.trim()) return { lyrics: tag.text };
    }
    return {};
  } catch {
    return {}; // tags that cannot be read hold no picture and no lyrics
  } finally {
    await handle.close();
  }
}
