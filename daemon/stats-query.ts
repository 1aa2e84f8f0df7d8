/** `streamd status` asks the running daemon for its counters over its own TCP protocol (`stats`). */
import net from 'node:net';
import { formatCommand } from '../common/protocol/args.js';
import { parseStatsMap } from '../common/protocol/replies.js';
import { FramingError, ResponseReader } from '../common/protocol/response-reader.js';

/** The `stats` fields, or undefined when the daemon does not answer within `timeoutMs`. */
export function queryStats(
  address: string,
  password: string | null,
  timeoutMs = 2000,
): Promise<Map<string, string> | undefined> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const reader = new ResponseReader();
    // Answers in order: the greeting, the password's (if sent), then stats.
    let answersBeforeStats = password ? 2 : 1;
    const fields: Array<[string, string]> = [];
    const done = (result: Map<string, string> | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const event of reader.push(chunk).events) {
          if (event.type === 'field' && answersBeforeStats === 0) fields.push([event.key, event.value]);
          if (event.type !== 'ok' && event.type !== 'err') continue;
          if (answersBeforeStats-- > 0) continue;
          return done(event.type === 'ok' ? parseStatsMap(fields) : undefined);
        }
      } catch (error) {
        if (error instanceof FramingError) return done(undefined);
        throw error;
      }
    });
    socket.write((password ? formatCommand('password', password) : '') + 'stats\nquit\n');
  });
}
