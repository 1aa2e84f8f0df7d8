/** The daemon's command table: every command, its aliases and argument counts, in one list. */
import { encodeFields, okLine } from '../../common/protocol/response.js';
import { artworkCommands } from './artwork-commands.js';
import { callCommands } from './call-commands.js';
import { deviceCommands } from './device-commands.js';
import { CommandTable } from './dispatch.js';
import { idleCommands } from './idle-commands.js';
import { libraryCommands } from './library-commands.js';
import { playlistCommands } from './playlist-commands.js';
import { playQueueCommands } from './play-queue-commands.js';
import { remoteCommands } from './remote-commands.js';
import { sessionCommands } from './session-commands.js';
import { stickerCommands } from './sticker-commands.js';
import type { Command } from './types.js';
import { udpCommands } from './udp-commands.js';

export function createCommandTable(extra: readonly Command[] = []): CommandTable {
  const help: Command = {
    name: 'help',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    open: true,
    usage: 'help',
    summary: 'one `command:` line per command, then OK',
    async run(ctx) {
      await ctx.out.write(encodeFields(table.commands.map((command) => ['command', command.name])) + okLine());
    },
  };
  const table = new CommandTable([
    ...libraryCommands,
    ...deviceCommands,
    ...sessionCommands,
    ...udpCommands,
    ...idleCommands,
    ...callCommands,
    ...stickerCommands,
    ...playlistCommands,
    ...playQueueCommands,
    ...remoteCommands,
    ...artworkCommands,
    help,
    ...extra,
  ]);
  return table;
}
