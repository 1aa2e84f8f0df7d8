/**
 * A TCP proxy in front of the daemon that slows what the daemon sends to a set rate, and can
 * vanish and come back: a slow link, or a daemon that went away, without touching the daemon.
 */
import net from 'node:net';

export interface ThrottleProxy {
  port: number;
  /** Cuts every connection and stops accepting, as if the daemon had gone. */
  vanish(): Promise<void>;
  /** Accepts again on the same port. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export async function throttleProxy(targetPort: number, bytesPerSecond: number, port = 0): Promise<ThrottleProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    // Token bucket: send a chunk, then wait as long as the rate says before reading more.
    let due = performance.now();
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      due = Math.max(due, performance.now()) + (chunk.length / bytesPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 1) {
        upstream.pause();
        setTimeout(() => upstream.resume(), wait);
      }
    });
  });
  const listen = (at: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  const actual = await listen(port);
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
  return {
    port: actual,
    vanish: stop,
    comeBack: async () => {
      await listen(actual);
    },
    close: stop,
  };
}
