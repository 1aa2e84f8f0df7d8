/**
 * Stickers as MPD has them (`sticker get|set|delete|list|find song ...`), and two of this
 * project's: `played` counts a play, `stickers` gives every song's at once (docs/protocol.md,
 * Stickers). The store keeps them under each song's audio key, so both protocols share them.
 */
import { ProtocolError } from '../../common/protocol/errors.js';
import { encodeFields, okLine, printable, type Field } from '../../common/protocol/response.js';
import {
  badStickerName,
  badStickerValue,
  LAST_PLAYED,
  PLAY_COUNT,
  stickerField,
  stickerTime,
  type Stickers,
} from '../../common/protocol/stickers.js';
import type { CatalogSong } from '../catalog/song.js';
import { StickerWriteError } from '../stickers/sticker-store.js';
import type { Command, CommandContext } from './types.js';

/** MPD's sticker type: songs only here. @throws ProtocolError bad_argument */
function checkType(type: string): void {
  if (type.toLowerCase() !== 'song')
    throw new ProtocolError('bad_argument', `only songs have stickers, not '${printable(type)}'`);
}

/** The song named, with its audio key. @throws ProtocolError */
function stickerSong(ctx: CommandContext, type: string, name: string): CatalogSong {
  checkType(type);
  const song = ctx.services.catalog.find(name);
  if (!song.audioKey)
    throw new ProtocolError('unavailable', `'${song.info.file}' is being scanned again; try again shortly`);
  return song;
}

function checkName(name: string): void {
  const bad = badStickerName(name);
  if (bad) throw new ProtocolError('bad_argument', bad);
}

/** The store's update, its failures as the protocol's errors. */
async function update(
  ctx: CommandContext,
  song: CatalogSong,
  change: (current: Stickers) => Record<string, string | undefined>,
): Promise<Stickers> {
  try {
    return await ctx.services.stickers.update(song.audioKey, change);
  } catch (error) {
    if (error instanceof StickerWriteError) throw new ProtocolError('io_error', error.message, false, error);
    if (error instanceof RangeError) throw new ProtocolError('bad_argument', error.message);
    throw error;
  }
}

const stickerLines = (stickers: Stickers | undefined): Field[] =>
  Object.entries(stickers ?? {}).map(([name, value]): Field => ['sticker', stickerField(name, value)]);

/** `sticker get|set|delete|list song <song> ...` and `sticker find song <folder> <name>`. */
const stickerVerbs: Record<
  string,
  { min: number; max: number; usage: string; run: (ctx: CommandContext, args: string[]) => Promise<string> }
> = {
  get: {
    min: 3,
    max: 3,
    usage: 'sticker get song <song> <name>',
    async run(ctx, [type, name, sticker]) {
      const song = stickerSong(ctx, type as string, name as string);
      const value = ctx.services.stickers.get(song.audioKey)?.[sticker as string];
      if (value === undefined)
        throw new ProtocolError('not_found', `no sticker '${printable(sticker as string)}' on '${song.info.file}'`);
      return encodeFields([['sticker', stickerField(sticker as string, value)]]);
    },
  },
  set: {
    min: 4,
    max: 4,
    usage: 'sticker set song <song> <name> <value>',
    async run(ctx, [type, name, sticker, value]) {
      const song = stickerSong(ctx, type as string, name as string);
      checkName(sticker as string);
      const bad = badStickerValue(sticker as string, value as string);
      if (bad) throw new ProtocolError('bad_argument', bad);
      await update(ctx, song, () => ({ [sticker as string]: value as string }));
      return '';
    },
  },
  delete: {
    min: 2,
    max: 3,
    usage: 'sticker delete song <song> [<name>]',
    async run(ctx, [type, name, sticker]) {
      const song = stickerSong(ctx, type as string, name as string);
      const current = ctx.services.stickers.get(song.audioKey) ?? {};
      if (sticker !== undefined && current[sticker] === undefined)
        throw new ProtocolError('not_found', `no sticker '${printable(sticker)}' on '${song.info.file}'`);
      const names = sticker === undefined ? Object.keys(current) : [sticker];
      if (names.length > 0) await update(ctx, song, () => Object.fromEntries(names.map((n) => [n, undefined])));
      return '';
    },
  },
  list: {
    min: 2,
    max: 2,
    usage: 'sticker list song <song>',
    async run(ctx, [type, name]) {
      const song = stickerSong(ctx, type as string, name as string);
      return encodeFields(stickerLines(ctx.services.stickers.get(song.audioKey)));
    },
  },
  find: {
    min: 3,
    max: 3,
    usage: 'sticker find song <folder> <name>',
    async run(ctx, [type, folder, sticker]) {
      checkType(type as string);
      const prefix = folder === '' ? '' : `${(folder as string).replace(/\/+$/, '')}/`;
      const fields: Field[] = [];
      for (const song of ctx.services.catalog.songs()) {
        if (!song.info.file.startsWith(prefix) || !song.audioKey) continue;
        const value = ctx.services.stickers.get(song.audioKey)?.[sticker as string];
        if (value === undefined) continue;
        fields.push(['file', song.info.file], ['sticker', stickerField(sticker as string, value)]);
      }
      return encodeFields(fields);
    },
  },
};

export const stickerCommands: Command[] = [
  ...Object.entries(stickerVerbs).map(([verb, { min, max, usage, run }]): Command => ({
    name: `sticker ${verb}`,
    aliases: [`sticker_${verb}`],
    minArgs: min,
    maxArgs: max,
    usage,
    summary: `MPD's sticker ${verb}, on songs`,
    async run(ctx, args) {
      await ctx.out.write((await run(ctx, args)) + okLine());
    },
  })),
  {
    name: 'played',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'played <song>',
    summary: 'extension: one play of the song counted (playcount, lastplayed); its stickers, then OK',
    async run(ctx, [name]) {
      const song = stickerSong(ctx, 'song', name as string);
      const stickers = await update(ctx, song, (current) => ({
        [PLAY_COUNT]: String(Math.min(999_999_999, Number(current[PLAY_COUNT] ?? 0) + 1)),
        [LAST_PLAYED]: stickerTime(Date.now()),
      }));
      await ctx.out.write(encodeFields(stickerLines(stickers)) + okLine());
    },
  },
  {
    name: 'stickers',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    usage: 'stickers',
    summary: 'extension: every song that has stickers, `song:` then its `sticker:` lines, then OK',
    async run(ctx) {
      const { stickers } = ctx.services;
      const fields: Field[] = [];
      for (const song of ctx.services.catalog.songs()) {
        const kept = song.audioKey ? stickers.get(song.audioKey) : undefined;
        if (kept) fields.push(['song', song.info.id], ...stickerLines(kept));
      }
      await ctx.out.write(encodeFields(fields) + okLine());
    },
  },
];
