/**
 * From a command line to a command and its arguments: name and alias lookup (one or two words,
 * case-insensitive), argument splitting and counting, in one place. Pure.
 */
import { tokenize } from '../../common/protocol/args.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { printable } from '../../common/protocol/response.js';
import type { Command } from './types.js';

export interface ParsedCommand {
  command: Command;
  args: string[];
}

export class CommandTable {
  private readonly byName = new Map<string, Command>();

  constructor(readonly commands: readonly Command[]) {
    for (const command of commands) {
      for (const name of [command.name, ...command.aliases]) {
        if (this.byName.has(name)) throw new Error(`command name '${name}' used twice`);
        this.byName.set(name, command);
      }
    }
  }

  lookup(name: string): Command | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /**
   * @throws ProtocolError unknown_command, bad_request (quoting) or bad_argument (count).
   * @example table.parse('lista dispositivos') // { command: <devices>, args: [] }
   */
  parse(line: string): ParsedCommand | undefined {
    const words = /^[ \t]*(\S+)(?:[ \t]+(\S+))?/.exec(line);
    if (!words) return undefined; // a blank line asks nothing
    const first = words[1] as string;
    let command: Command | undefined;
    let restFrom: number;
    const two = words[2] !== undefined ? this.lookup(`${first} ${words[2]}`) : undefined;
    if (two) {
      command = two;
      restFrom = words[0].length;
    } else {
      command = this.lookup(first);
      restFrom = line.indexOf(first) + first.length;
    }
    if (!command) {
      throw new ProtocolError('unknown_command', `unknown command '${printable(first)}' (Comando Inexistente)`);
    }
    const rest = line.slice(restFrom);
    const args = command.rest
      ? rest.trim().length > 0
        ? [rest.replace(/^[ \t]+|[ \t]+$/g, '')]
        : []
      : tokenize(rest).map((token) => token.value);
    if (args.length < command.minArgs || args.length > command.maxArgs) {
      throw new ProtocolError('bad_argument', `usage: ${command.usage}`);
    }
    return { command, args };
  }
}
