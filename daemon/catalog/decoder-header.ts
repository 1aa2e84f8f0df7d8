/**
 * What a song's decoder needs before any of its blocks (docs/protocol.md, `header`): kept by the
 * scan when it is small (FLAC, Opus: song.ts's decoderHeader), else read from the file when asked
 * (an M4A's sample table, Vorbis's setup: once per song per player cache).
 */
import { ProtocolError } from '../../common/protocol/errors.js';
import { mp4Blocks, mp4DecoderHeader } from '../../common/audio/mp4.js';
import { oggHeaderPages } from '../../common/audio/ogg.js';
import { flacLayoutOf, readMp4File, scanOggFile } from './analyze.js';
import { openSongFile } from './block-reader.js';
import type { CatalogSong } from './song.js';

/** @throws ProtocolError io_error when the file is gone or no longer reads as it did. */
export async function decoderHeader(song: CatalogSong): Promise<Buffer> {
  if (song.decoderHeader !== undefined) return Buffer.from(song.decoderHeader, 'base64');
  switch (song.info.format) {
    case 'mp3':
    case 'wav':
      return Buffer.alloc(0); // their blocks decode on their own
    case 'flac': {
      const handle = await openSongFile(song);
      try {
        const head = await flacLayoutOf(handle, song.stamp.size);
        if (!head.ok)
          throw new ProtocolError('io_error', `'${song.info.file}' no longer reads as FLAC: ${head.reason}`);
        return head.layout.decoderHeader;
      } finally {
        await handle.close();
      }
    }
    case 'ogg':
    case 'opus': {
      const handle = await openSongFile(song);
      try {
        const scan = await scanOggFile(handle, song.stamp.size, { headersOnly: true });
        return oggHeaderPages(scan.headerPackets, scan.serial);
      } catch (error) {
        throw new ProtocolError('io_error', `'${song.info.file}' no longer reads as Ogg: ${(error as Error).message}`);
      } finally {
        await handle.close();
      }
    }
    case 'm4a': {
      const handle = await openSongFile(song);
      try {
        const audio = await readMp4File(handle, song.stamp.size);
        return mp4DecoderHeader(audio, mp4Blocks(audio));
      } catch (error) {
        throw new ProtocolError('io_error', `'${song.info.file}' no longer reads as MP4: ${(error as Error).message}`);
      } finally {
        await handle.close();
      }
    }
  }
}
