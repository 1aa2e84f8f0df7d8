/**
 * Play queues (docs/protocol.md, Play queues), the Subsonic API's `savePlayQueue` and
 * `getPlayQueue` on the TCP protocol: a player takes up the queue a phone saved for its user, or
 * saves its own for the phone to take up. Kept per user of the API (the config file's `users`).
 */
import { ProtocolError } from '../../common/protocol/errors.js';
import { encodeFields, okLine, printable, type Field } from '../../common/protocol/response.js';
import { MAX_QUEUE_SONGS } from '../playlists/play-queue-store.js';
import type { Command, CommandContext } from './types.js';

/** @throws ProtocolError not_found for a name that is not a user of the API. */
function checkUser(ctx: CommandContext, user: string): void {
  if (!ctx.services.apiUsers.includes(user))
    throw new ProtocolError(
      'not_found',
      `no user '${printable(user)}': play queues are kept for the users of the config file's \`users\``,
    );
}

export const playQueueCommands: Command[] = [
  {
    name: 'playqueue',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'playqueue <user>',
    summary:
      "extension: the user's saved play queue: `file:` lines, `current:`, `position_ms:`, `changed:`, `changed_by:`, then OK",
    async run(ctx, [user]) {
      checkUser(ctx, user as string);
      const saved = ctx.services.playQueues.get(user as string);
      if (!saved) throw new ProtocolError('not_found', `no play queue saved for '${printable(user as string)}'`);
      const files = saved.files.filter((file) => ctx.services.catalog.songAt(file) !== undefined);
      const fields: Field[] = files.map((file): Field => ['file', file]);
      const current = saved.current === undefined ? -1 : files.indexOf(saved.current);
      if (current >= 0) fields.push(['current', current]);
      fields.push(['position_ms', saved.positionMs], ['changed', saved.changed], ['changed_by', saved.changedBy]);
      await ctx.out.write(encodeFields(fields) + okLine());
    },
  },
  {
    name: 'saveplayqueue',
    aliases: [],
    minArgs: 3,
    maxArgs: 3 + 2000,
    usage: 'saveplayqueue <user> <current> <position_ms> [<song> ...]',
    summary: "extension: keeps the songs as the user's play queue, `current` their index (-1: none), then OK",
    async run(ctx, [user, current, position, ...names]) {
      checkUser(ctx, user as string);
      if (!/^-1$|^\d{1,6}$/.test(current as string) || Number(current) >= Math.max(names.length, 1))
        throw new ProtocolError(
          'bad_argument',
          `current is an index of the songs given, or -1, got '${printable(current as string)}'`,
        );
      if (!/^\d{1,12}$/.test(position as string))
        throw new ProtocolError(
          'bad_argument',
          `position_ms is whole milliseconds, got '${printable(position as string)}'`,
        );
      if (names.length > MAX_QUEUE_SONGS) throw new ProtocolError('bad_argument', `at most ${MAX_QUEUE_SONGS} songs`);
      const songs = names.map((name) => ctx.services.catalog.find(name));
      try {
        await ctx.services.playQueues.save(user as string, {
          files: songs.map((song) => song.info.file),
          current: songs[Number(current)]?.info.file,
          positionMs: Number(position),
          changed: new Date().toISOString(),
          changedBy: ctx.services.devices.nameOf(ctx.session.id) ?? 'streamtui',
        });
      } catch (error) {
        throw new ProtocolError(
          'io_error',
          `cannot keep the play queue: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          false,
          error,
        );
      }
      await ctx.out.write(okLine());
    },
  },
];
