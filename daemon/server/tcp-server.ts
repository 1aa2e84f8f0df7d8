/**
 * The daemon's TCP socket (docs/protocol.md, the connection and its commands): accepts
 * connections within the limits (in all and per address; past them `ERR server_full`), and gives
 * each to a Connection that answers it from the command table. It owns sockets only: what a
 * connection opens and closes in the daemon's registries is the instance's (daemon/instance.ts).
 */
import net, { type AddressInfo } from 'node:net';
import type { Limits } from '../../common/limits.js';
import { errLine, okLine } from '../../common/protocol/response.js';
import type { CommandTable } from '../commands/dispatch.js';
import type { Services, Session } from '../commands/types.js';
import type { Logger } from '../log.js';
import { Connection } from './connection.js';

/** A connection's output share never falls under this, however many are open: a block is read in such pieces. */
const MIN_OUTPUT_SHARE = 64 * 1024;

export interface TcpServerOptions {
  host: string;
  port: number;
  limits: Limits;
}

export interface TcpServerDeps {
  table: CommandTable;
  services: Services;
  log: Logger;
  /** A connection was accepted: the instance registers its session. */
  opened(session: Session): void;
  /** A connection closed: the instance forgets its session. */
  closed(session: Session): void;
  /** A connection (`light` false) or a command came (server/activity.ts). */
  arrived(light: boolean): void;
}

export interface TcpServer {
  listen(): Promise<AddressInfo>;
  /** Bytes queued for clients now, over every connection. */
  outputQueued(): number;
  /** Stops accepting, ends downloads with ERR shutting_down, and closes every connection within `graceMs`. */
  close(graceMs: number): Promise<void>;
}

export function createTcpServer(options: TcpServerOptions, deps: TcpServerDeps): TcpServer {
  const { limits } = options;
  const { services, log } = deps;
  const connections = new Set<Connection>();
  let nextId = 1;
  const greeting = okLine(`streamd ${services.version}`);

  /** Open connections by peer IP: one address may not take every slot. */
  const perAddress = new Map<string, number>();
  const refuse = (socket: net.Socket, why: string): void => {
    services.counters.connectionsRejected++;
    socket.on('error', (error) => log.debug(`refused ${socket.remoteAddress ?? '?'}: ${error.message}`));
    socket.end(errLine('server_full', why));
    setTimeout(() => socket.destroy(), 2000).unref();
  };

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    deps.arrived(false);
    const ip = socket.remoteAddress ?? '?';
    if (connections.size >= limits.max_connections)
      return refuse(socket, `${limits.max_connections} connections are open; try again later`);
    const fromHere = perAddress.get(ip) ?? 0;
    if (fromHere >= limits.max_connections_per_address) {
      return refuse(
        socket,
        `${limits.max_connections_per_address} connections from your address are open; try again later`,
      );
    }
    perAddress.set(ip, fromHere + 1);
    services.counters.connectionsAccepted++;
    const connection = new Connection(socket, nextId++, {
      table: deps.table,
      services,
      limits,
      log,
      outputShare: () =>
        Math.min(
          limits.max_output_bytes,
          Math.max(MIN_OUTPUT_SHARE, Math.floor(limits.max_output_bytes_total / Math.max(1, connections.size))),
        ),
      arrived: deps.arrived,
      onClose(closed) {
        connections.delete(closed);
        const left = (perAddress.get(ip) ?? 1) - 1;
        if (left > 0) perAddress.set(ip, left);
        else perAddress.delete(ip);
        deps.closed(closed.session);
      },
    });
    connections.add(connection);
    deps.opened(connection.session);
    connection.start(greeting);
  });
  // Past this Node drops connections without a word; below it ours get `ERR server_full` first.
  server.maxConnections = limits.max_connections * 4;

  return {
    outputQueued() {
      let queued = 0;
      for (const connection of connections) queued += connection.queuedOutput;
      return queued;
    },
    listen() {
      return new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: options.host, port: options.port }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async close(graceMs) {
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
