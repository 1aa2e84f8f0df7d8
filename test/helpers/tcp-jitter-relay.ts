/**
 * A TCP relay in front of the daemon that holds each piece of data a random 0 to `jitterMs` ms
 * before passing it on, in order (what TCP over a jittery path looks like to both ends), both ways.
 */
import net from 'node:net';

export interface TcpJitterRelay {
  port: number;
  close(): Promise<void>;
}

export async function tcpJitterRelay(targetPort: number, jitterMs: number, seed = 1): Promise<TcpJitterRelay> {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const sockets = new Set<net.Socket>();
  /** Forwards `from` to `to`, each chunk held a random while, never before the one before it. */
  const pipe = (from: net.Socket, to: net.Socket): void => {
    let due = 0;
    from.on('data', (chunk: Buffer) => {
      due = Math.max(due, performance.now() + random() * jitterMs);
      setTimeout(() => to.writable && to.write(chunk), due - performance.now());
    });
    from.on('end', () => setTimeout(() => to.end(), Math.max(0, due - performance.now())));
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
