/**
 * Pictures and lyrics (docs/protocol.md, Pictures and lyrics): MPD's `readpicture` (the picture
 * in the song's tags) and `albumart` (the cover file in its folder), read in pieces of at most
 * PICTURE_PIECE_BYTES from an offset; and `lyrics`, this project's.
 */
import { ProtocolError } from '../../common/protocol/errors.js';
import { encodeFields, okLine, printable, type Field } from '../../common/protocol/response.js';
import { PictureError } from '../artwork/artwork.js';
import type { Picture } from '../catalog/embedded.js';
import { SongFileError } from '../catalog/open-song.js';
import type { CatalogSong } from '../catalog/song.js';
import { songLyrics } from '../lyrics/song-lyrics.js';
import type { Command, CommandContext } from './types.js';

/** The most of a picture one answer carries. */
export const PICTURE_PIECE_BYTES = 64 * 1024;

function offsetOf(text: string): number {
  if (!/^\d{1,10}$/.test(text))
    throw new ProtocolError('bad_argument', `offset must be a number of bytes, got '${printable(text, 20)}'`);
  return Number(text);
}

/** `size`, `type`, then `binary: <n>`, the n bytes and a LF: MPD's framing of a picture's piece. */
async function sendPiece(ctx: CommandContext, picture: Picture | undefined, offset: number): Promise<void> {
  if (!picture) {
    await ctx.out.write(okLine());
    return;
  }
  if (offset > picture.data.length)
    throw new ProtocolError('bad_argument', `offset ${offset} is past the picture's ${picture.data.length} bytes`);
  const piece = picture.data.subarray(offset, offset + PICTURE_PIECE_BYTES);
  const head = encodeFields([
    ['size', picture.data.length],
    ['type', picture.mime],
    ['binary', piece.length],
  ]);
  await ctx.out.write(Buffer.concat([Buffer.from(head), piece, Buffer.from(`\n${okLine()}`)]));
}

/** The picture, its failures as the protocol's errors. */
async function picture(load: () => Promise<Picture | undefined>): Promise<Picture | undefined> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof PictureError) throw new ProtocolError('io_error', error.message);
    throw error;
  }
}

const pictureCommand = (
  name: string,
  summary: string,
  which: (ctx: CommandContext, song: CatalogSong) => Promise<Picture | undefined>,
): Command => ({
  name,
  aliases: [],
  minArgs: 2,
  maxArgs: 2,
  usage: `${name} <song> <offset>`,
  summary,
  async run(ctx, [name, offset]) {
    const at = offsetOf(offset as string);
    const song = ctx.services.catalog.find(name as string);
    await sendPiece(ctx, await picture(() => which(ctx, song)), at);
  },
});

export const artworkCommands: Command[] = [
  pictureCommand(
    'readpicture',
    "the picture in the song's tags from offset: `size:`, `type:`, `binary:` and its bytes; none: a bare OK",
    (ctx, song) => ctx.services.artwork.embedded(song),
  ),
  pictureCommand(
    'albumart',
    "the cover file in the song's folder, in pieces as readpicture; none: a bare OK",
    (ctx, song) => ctx.services.artwork.folder(song),
  ),
  {
    name: 'lyrics',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'lyrics <song>',
    summary:
      'extension: `synced:`, `source:`, then a `line:` per line (`<ms> <text>` when synced), then OK; none: ERR not_found',
    async run(ctx, [name]) {
      const song = ctx.services.catalog.find(name as string);
      let lyrics;
      try {
        lyrics = await songLyrics(song, ctx.services.embedded);
      } catch (error) {
        throw new ProtocolError(
          'io_error',
          (error as Error).message,
          false,
          error instanceof SongFileError ? undefined : error,
        );
      }
      if (!lyrics) throw new ProtocolError('not_found', `no lyrics for '${song.info.file}'`);
      const fields: Field[] = [
        ['synced', lyrics.synced ? 'yes' : 'no'],
        ['source', lyrics.source],
        ...lyrics.lines.map((line): Field => ['line', line.ms === undefined ? line.text : `${line.ms} ${line.text}`]),
      ];
      await ctx.out.write(encodeFields(fields) + okLine());
    },
  },
];
