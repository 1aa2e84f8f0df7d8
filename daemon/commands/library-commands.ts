/** `lista` and `download` (docs/protocol.md, Commands and Downloads). */
import { ProtocolError } from '../../common/protocol/errors.js';
import { createHash } from 'node:crypto';
import {
  CONTRACT_FORMATS,
  isSongFormat,
  SONG_FORMATS,
  songFields,
  type SongFormat,
} from '../../common/protocol/records.js';
import { blockLine, encodeFields, errLine, okLine, TRACK_END, TRACK_START } from '../../common/protocol/response.js';
import { SongFile } from '../catalog/block-reader.js';
import { decoderHeader } from '../catalog/decoder-header.js';
import type { CatalogBlock, CatalogSong } from '../catalog/song.js';
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

/** The song named, if it is of a format this connection takes. @throws ProtocolError not_found */
export function findTaken(ctx: CommandContext, name: string): CatalogSong {
  const song = ctx.services.catalog.find(name);
  if (!ctx.session.formats.has(song.info.format))
    throw new ProtocolError(
      'not_found',
      `'${song.info.file}' is ${song.info.format}, which this connection has not said it takes (formats)`,
    );
  return song;
}

/** Base64 characters on one `header:` line: far below any client's line limit. */
const HEADER_LINE_CHARS = 48 * 1024;

async function header(ctx: CommandContext, args: string[]): Promise<void> {
  const song = findTaken(ctx, args[0] as string);
  const bytes = await decoderHeader(song);
  const text = bytes.toString('base64');
  const fields: Array<[string, string | number]> = [['header_bytes', bytes.length]];
  for (let at = 0; at < text.length; at += HEADER_LINE_CHARS)
    fields.push(['header', text.slice(at, at + HEADER_LINE_CHARS)]);
  fields.push(['header_sha256', createHash('sha256').update(bytes).digest('hex')]);
  await ctx.out.write(encodeFields(fields) + okLine());
}

function formats(ctx: CommandContext, args: string[]): Promise<void> {
  const unknown = args.filter((name) => !isSongFormat(name.toLowerCase()));
  if (unknown.length > 0)
    throw new ProtocolError(
      'bad_argument',
      `unknown format '${(unknown[0] as string).slice(0, 20)}': known are ${SONG_FORMATS.join(' ')}`,
    );
  if (args.length > 0)
    ctx.session.formats = new Set([...CONTRACT_FORMATS, ...args.map((name) => name.toLowerCase() as SongFormat)]);
  return ctx.out.write(
    encodeFields([...ctx.session.formats].map((name): [string, string] => ['format', name])) + okLine(),
  );
}

async function download(ctx: CommandContext, args: string[]): Promise<void> {
  const { blocks: reader, counters } = ctx.services;
  const song = findTaken(ctx, args[0] as string);
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
      // Hashed just now, the block's first bytes came with its hash.
      for await (const chunk of file.chunks(block, head?.length ?? 0)) await send(chunk);
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
      await ctx.out.write(ctx.services.catalog.encodedSongList(ctx.session.formats));
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
  {
    name: 'formats',
    aliases: [],
    minArgs: 0,
    maxArgs: SONG_FORMATS.length,
    usage: 'formats [<format>...]',
    summary: 'the formats of the songs this connection is sent (mp3 and wav always; more when named)',
    run: formats,
  },
  {
    name: 'header',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'header <song>',
    summary: "what the song's decoder needs before any block (FLAC: STREAMINFO; Ogg: header pages), in base64",
    run: header,
  },
];
