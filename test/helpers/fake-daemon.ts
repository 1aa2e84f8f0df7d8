/**
 * A daemon that is not streamd, on loopback: it greets as one (or as `greeting` says), then answers each line it is sent
 * as `answer` says (text to write; undefined: `OK`), for tests of what a broken or hostile daemon
 * does to the player.
 */
import net, { type AddressInfo } from 'node:net';

export interface FakeDaemon {
  port: number;
  /** Connections made to it so far. */
  readonly connections: number;
  close(): void;
}

export async function fakeDaemon(
  answer: (line: string, socket: net.Socket) => string | undefined,
  greeting = 'OK streamd fake\n',
): Promise<FakeDaemon> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    socket.write(greeting);
    let held = '';
    socket.on('data', (chunk: Buffer) => {
      const lines = (held + chunk.toString()).split('\n');
      held = lines.pop() ?? '';
      for (const line of lines) if (!socket.destroyed) socket.write(answer(line, socket) ?? 'OK\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () => server.close(),
  };
}
