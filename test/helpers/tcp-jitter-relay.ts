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
  /**
   * Forwards `from` to `to`, each chunk held a random while, never before the one before it: one
   * queue and one timer a direction (timers of their own would fire out of order, as setTimeout
   * rounds each delay down to whole ms).
   */
  const pipe = (from: net.Socket, to: net.Socket): void => {
    const queue: Array<{ due: number; chunk: Buffer | null }> = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = (): void => {
      timer = undefined;
      while (queue.length > 0 && (queue[0] as { due: number }).due <= performance.now()) {
        const { chunk } = queue.shift() as { chunk: Buffer | null };
        if (chunk === null) to.end();
        else if (to.writable) to.write(chunk);
      }
      if (queue.length > 0)
        timer = setTimeout(drain, Math.max(1, (queue[0] as { due: number }).due - performance.now()));
    };
    const push = (chunk: Buffer | null): void => {
      const last = queue.at(-1)?.due ?? 0;
      queue.push({ due: Math.max(last, performance.now() + random() * jitterMs), chunk });
      timer ??= setTimeout(drain, Math.max(1, (queue[0] as { due: number }).due - performance.now()));
    };
    from.on('data', (chunk: Buffer) => push(chunk));
    from.on('end', () => push(null));
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
