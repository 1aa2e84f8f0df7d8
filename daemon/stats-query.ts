/** `streamd status` asks the running daemon for its counters over its own TCP protocol (`stats`). */
import net from 'node:net';
import { formatCommand } from '../common/protocol/args.js';

/** The `stats` fields, or undefined when the daemon does not answer within `timeoutMs`. */
export function queryStats(address: string, password: string | null, timeoutMs = 2000): Promise<Map<string, string> | undefined> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let text = '';
    const done = (fields: Map<string, string> | undefined): void => {
      socket.destroy();
      resolve(fields);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('close', () => {
      const fields = new Map<string, string>();
      for (const line of text.split('\n')) {
        const m = /^([a-z_]+): (.*)$/.exec(line);
        if (m) fields.set(m[1] as string, m[2] as string);
      }
      resolve(fields.size > 0 ? fields : undefined);
    });
    socket.write((password ? formatCommand('password', password) : '') + 'stats\nquit\n');
  });
}
