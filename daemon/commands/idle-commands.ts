/** `idle` and `noidle`: push events as MPD clients know them (docs/protocol.md, Push events). */
import { ProtocolError } from '../../common/protocol/errors.js';
import { encodeFields, okLine, printable } from '../../common/protocol/response.js';
import { IDLE_TOPICS, isIdleTopic, type IdleTopic } from '../../common/protocol/topics.js';
import type { Command } from './types.js';

export const idleCommands: Command[] = [
  {
    name: 'idle',
    aliases: [],
    minArgs: 0,
    maxArgs: IDLE_TOPICS.length,
    light: true,
    usage: `idle [${IDLE_TOPICS.join('|')}]...`,
    summary: 'waits until one of the topics changes, then `changed:` lines and OK',
    async run(ctx, args) {
      for (const word of args) {
        if (!isIdleTopic(word.toLowerCase()))
          throw new ProtocolError(
            'bad_argument',
            `unknown topic '${printable(word)}': one of ${IDLE_TOPICS.join(', ')}`,
          );
      }
      const asked = new Set(args.length === 0 ? IDLE_TOPICS : args.map((word) => word.toLowerCase() as IdleTopic));
      const { changes } = ctx.services;
      // Ended by a change, by any further line from the client (noidle or a command: order is
      // kept), or by the connection closing or the daemon stopping.
      await changes.wait(ctx.session.id, asked, AbortSignal.any([ctx.signal, ctx.interrupted]));
      const changed = changes.take(
        ctx.session.id,
        IDLE_TOPICS.filter((topic) => asked.has(topic)),
      );
      await ctx.out.write(encodeFields(changed.map((topic) => ['changed', topic])) + okLine());
    },
  },
  {
    name: 'noidle',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    open: true, // never answered, so never refused either
    light: true,
    usage: 'noidle',
    summary: 'ends a pending idle; gets no answer of its own',
    async run() {},
  },
];
