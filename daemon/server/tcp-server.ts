/**
 * The TCP server of PROTOCOL.md sections 1 and 2. `createStreamdServer` has no side effects
 * (STYLE.md: build, then listen); only `listen()` opens the port. Tests listen on port 0.
 */
import net, { type AddressInfo } from 'node:net';
import type { Limits } from '../../common/limits.js';
import { errLine, okLine } from '../../common/protocol/response.js';
import { BlockReader } from '../catalog/block-reader.js';
import type { Catalog } from '../catalog/catalog.js';
import { createCommandTable } from '../commands/table.js';
import type { Services } from '../commands/types.js';
import { DeviceRegistry } from '../devices.js';
import type { Logger } from '../log.js';
import { Connection } from './connection.js';

export interface ServerOptions {
  host: string;
  port: number;
  limits: Limits;
  password?: string | undefined;
  version: string;
}

export interface StreamdServer {
  readonly services: Services;
  listen(): Promise<AddressInfo>;
  /** Stops accepting, ends downloads with ERR shutting_down, and closes every connection within `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export function createStreamdServer(options: ServerOptions, deps: { catalog: Catalog; log: Logger }): StreamdServer {
  const { limits } = options;
  const { log } = deps;
  const services: Services = {
    version: options.version,
    catalog: deps.catalog,
    blocks: new BlockReader(deps.catalog),
    devices: new DeviceRegistry(),
    counters: {
      startedAt: new Date(),
      connectionsAccepted: 0,
      connectionsRejected: 0,
      downloadsActive: 0,
      downloadsServed: 0,
      bytesSent: 0,
    },
    password: options.password || undefined,
  };
  const table = createCommandTable();
  const connections = new Set<Connection>();
  let nextId = 1;
  const greeting = okLine(`streamd ${options.version}`);

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    if (connections.size >= limits.max_connections) {
      services.counters.connectionsRejected++;
      socket.on('error', () => {});
      socket.end(errLine('server_full', `${limits.max_connections} connections are open; try again later`));
      setTimeout(() => socket.destroy(), 2000).unref();
      return;
    }
    services.counters.connectionsAccepted++;
    const connection = new Connection(socket, nextId++, {
      table,
      services,
      limits,
      log,
      onClose(closed) {
        connections.delete(closed);
        services.devices.disconnect(closed.session.id);
      },
    });
    connections.add(connection);
    services.devices.connect(connection.session.id, connection.session.address, new Date());
    connection.start(greeting);
  });
  // Past this Node drops connections without a word; below it ours get `ERR server_full` first.
  server.maxConnections = limits.max_connections * 4;

  return {
    services,
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: options.host, port: options.port }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async close(graceMs = 4000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.shutdown();
      const deadline = setTimeout(() => {
        for (const connection of connections) connection.destroy();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
