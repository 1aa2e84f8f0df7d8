/** `lista` and `download` (docs/protocol.md, Commands and Downloads). */
import { ProtocolError } from '../../common/protocol/errors.js';
import { songFields } from '../../common/protocol/records.js';
import { blockLine, encodeFields, errLine, okLine, TRACK_END, TRACK_START } from '../../common/protocol/response.js';
import { READ_CHUNK_BYTES, SongFile } from '../catalog/block-reader.js';
import type { CatalogBlock } from '../catalog/song.js';
import type { Command, CommandContext } from './types.js';

function blockNumber(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new ProtocolError('bad_argument', `${what} block must be a number, got '${text.slice(0, 20)}'`);
  return Number(text);
}

/** The range of blocks asked for, checked against the song before anything is sent. */
export function blockRange(args: string[], blocks: number): [number, number] {
  const first = args[1] === undefined ? 0 : blockNumber(args[1], 'first');
  const last = args[2] === undefined ? blocks - 1 : blockNumber(args[2], 'last');
  if (first > last || last >= blocks) {
    throw new ProtocolError(
      'bad_argument',
      `blocks ${first}-${last} out of range: the song has blocks 0-${blocks - 1}`,
    );
  }
  return [first, last];
}

async function download(ctx: CommandContext, args: string[]): Promise<void> {
  const { catalog, blocks: reader, counters } = ctx.services;
  const song = catalog.find(args[0] as string);
  const [first, last] = blockRange(args, song.blocks.length);
  const file = await SongFile.open(song);
  counters.downloadsActive++;
  // Raw bytes announced by a `block:` line cannot be taken back: an error in the middle of a
  // block can only end the connection; between blocks it ends the response with ERR.
  let midBlock = false;
  try {
    await ctx.out.write(TRACK_START + encodeFields(songFields(song.info)));
    for (let index = first; index <= last; index++) {
      if (ctx.signal.aborted) throw new ProtocolError('shutting_down', 'the daemon is stopping', true);
      const block = song.blocks[index] as CatalogBlock;
      const { sha256, head } = await reader.hashed(file, block);
      // The block line goes out with the block's first bytes: one write, and one wake-up of the
      // reader for both (a song's first sound waits for them); a failed first read still ends with ERR.
      let line: Buffer | undefined = Buffer.from(
        blockLine({ index, start: block.start, end: block.end, bytes: block.length, sha256 }),
      );
      const send = async (chunk: Buffer): Promise<void> => {
        const bytes = line ? Buffer.concat([line, chunk]) : chunk;
        line = undefined;
        midBlock = true;
        await ctx.out.write(bytes);
        counters.bytesSent += chunk.length;
      };
      if (head) await send(head);
      for await (const chunk of file.chunks(block, READ_CHUNK_BYTES, head?.length ?? 0)) await send(chunk);
      if (line) await ctx.out.write(line); // a block of no bytes: none is made, but the line is owed
      midBlock = false;
    }
    await ctx.out.write(TRACK_END + okLine());
    counters.downloadsServed++;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    if (!midBlock) await ctx.out.write(errLine(error.code, error.message));
    if (midBlock || error.fatal) ctx.session.closeAfterReply = true;
  } finally {
    counters.downloadsActive--;
    await file.close();
  }
}

export const libraryCommands: Command[] = [
  {
    name: 'lista',
    aliases: ['list', '7'],
    minArgs: 0,
    maxArgs: 0,
    usage: 'lista',
    summary: 'one record per song, then OK',
    async run(ctx) {
      await ctx.out.write(ctx.services.catalog.encodedSongList());
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'download',
    aliases: [],
    minArgs: 1,
    maxArgs: 3,
    usage: 'download <song> [<first> [<last>]]',
    summary: "the song's 30-second blocks, each with its SHA-256",
    run: download,
  },
];
