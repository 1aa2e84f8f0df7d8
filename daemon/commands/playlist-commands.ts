/**
 * Stored playlists with MPD's names (docs/protocol.md, Stored playlists). The queue lives on each
 * player, so `save` is given the songs; songs are named as anywhere else (id, path, file name).
 */
import { ProtocolError } from '../../common/protocol/errors.js';
import { songFields } from '../../common/protocol/records.js';
import { encodeFields, okLine, type Field } from '../../common/protocol/response.js';
import type { M3uEntry } from '../../common/playlist/m3u8.js';
import type { Command, CommandContext } from './types.js';

/** As many songs as a command line can name (max_line_bytes bounds the line itself). */
const MAX_SONG_ARGS = 2000;

/** The named songs as playlist entries. @throws ProtocolError not_found or ambiguous */
const entriesOf = (ctx: CommandContext, names: readonly string[]): M3uEntry[] =>
  names.map((name) => ctx.services.catalog.find(name).info);

/** What the library knows of each entry (its record), or the bare name of one it no longer has. */
const known = (ctx: CommandContext, files: readonly string[]): M3uEntry[] =>
  files.map((file) => ctx.services.catalog.songAt(file)?.info ?? { file });

function position(text: string, length: number, what: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) >= length)
    throw new ProtocolError('bad_argument', `${what} must be 0 to ${length - 1}, got '${text.slice(0, 20)}'`);
  return Number(text);
}

const command = (
  name: string,
  minArgs: number,
  maxArgs: number,
  usage: string,
  summary: string,
  run: (ctx: CommandContext, args: string[]) => Promise<Field[] | void>,
): Command => ({
  name,
  aliases: [],
  minArgs,
  maxArgs,
  usage,
  summary,
  async run(ctx, args) {
    await ctx.out.write(encodeFields((await run(ctx, args)) ?? []) + okLine());
  },
});

export const playlistCommands: Command[] = [
  command(
    'listplaylists',
    0,
    0,
    'listplaylists',
    '`playlist:` and `last_modified:` per stored playlist, then OK',
    async (ctx) =>
      (await ctx.services.playlists.list()).flatMap((info): Field[] => [
        ['playlist', info.name],
        ['last_modified', info.modified.toISOString()],
      ]),
  ),
  command('listplaylist', 1, 1, 'listplaylist <name>', 'a `file:` line per entry, then OK', async (ctx, [name]) =>
    (await ctx.services.playlists.read(name as string)).map((file): Field => ['file', file]),
  ),
  command(
    'listplaylistinfo',
    1,
    1,
    'listplaylistinfo <name>',
    'per entry, `pos:` then its song record (or `file:` and `missing: yes`), then OK',
    async (ctx, [name]) =>
      (await ctx.services.playlists.read(name as string)).flatMap((file, pos): Field[] => {
        const song = ctx.services.catalog.songAt(file);
        return [
          ['pos', pos],
          ...(song ? songFields(song.info) : [['file', file] as Field, ['missing', 'yes'] as Field]),
        ];
      }),
  ),
  command(
    'save',
    1,
    MAX_SONG_ARGS,
    'save <name> [<song>...]',
    'the playlist made (or replaced) with these songs, then OK',
    async (ctx, [name, ...songs]) => {
      const entries = entriesOf(ctx, songs);
      await ctx.services.playlists.change(name as string, () => entries, { create: true, fresh: true });
    },
  ),
  command(
    'playlistadd',
    2,
    MAX_SONG_ARGS,
    'playlistadd <name> <song>...',
    'songs added at the end (the playlist made if new), then OK',
    async (ctx, [name, ...songs]) => {
      const entries = entriesOf(ctx, songs);
      await ctx.services.playlists.change(name as string, (files) => [...known(ctx, files), ...entries], {
        create: true,
      });
    },
  ),
  command(
    'playlistdelete',
    2,
    2,
    'playlistdelete <name> <pos>',
    'the entry at pos (from 0) removed, then OK',
    async (ctx, [name, pos]) => {
      await ctx.services.playlists.change(name as string, (files) => {
        const at = position(pos as string, files.length, 'pos');
        return known(
          ctx,
          files.filter((_, k) => k !== at),
        );
      });
    },
  ),
  command(
    'playlistmove',
    3,
    3,
    'playlistmove <name> <from> <to>',
    'the entry at from moved to to, then OK',
    async (ctx, [name, from, to]) => {
      await ctx.services.playlists.change(name as string, (files) => {
        const a = position(from as string, files.length, 'from');
        const b = position(to as string, files.length, 'to');
        const moved = [...files];
        moved.splice(b, 0, ...moved.splice(a, 1));
        return known(ctx, moved);
      });
    },
  ),
  command('playlistclear', 1, 1, 'playlistclear <name>', 'every entry removed, then OK', async (ctx, [name]) => {
    await ctx.services.playlists.change(name as string, () => []);
  }),
  command('rename', 2, 2, 'rename <name> <new name>', 'the playlist renamed, then OK', async (ctx, [from, to]) => {
    await ctx.services.playlists.rename(from as string, to as string);
  }),
  command('rm', 1, 1, 'rm <name>', 'the playlist deleted, then OK', async (ctx, [name]) => {
    await ctx.services.playlists.remove(name as string);
  }),
];
