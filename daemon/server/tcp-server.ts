/**
 * The TCP server of PROTOCOL.md sections 1 and 2. `createStreamdServer` has no side effects
 * (STYLE.md: build, then listen); only `listen()` opens the port. Tests listen on port 0.
 */
import net, { type AddressInfo } from 'node:net';
import { DEFAULT_CALLS, type CallSettings, type RadioSettings, type UdpSettings } from '../../common/config-schema.js';
import type { Limits } from '../../common/limits.js';
import { errLine, okLine } from '../../common/protocol/response.js';
import { BlockReader } from '../catalog/block-reader.js';
import type { Catalog } from '../catalog/catalog.js';
import { createCommandTable } from '../commands/table.js';
import type { Services } from '../commands/types.js';
import { DeviceRegistry } from '../devices.js';
import { ChangeBus } from '../events/change-bus.js';
import type { Logger } from '../log.js';
import { CallRegistry } from '../calls/call-registry.js';
import { watchDescriptors } from './descriptors.js';
import { Connection } from './connection.js';
import { watchLoopDelay } from './loop-delay.js';
import { createUdpServer } from './udp-server.js';

/** How often unanswered rings time out and ended calls are forgotten. */
const CALL_TICK_MS = 500;

export interface ServerOptions {
  host: string;
  port: number;
  udpPort: number;
  radio: RadioSettings;
  udp: UdpSettings;
  /** Unset: the defaults. */
  calls?: CallSettings;
  limits: Limits;
  password?: string | undefined;
  version: string;
}

export interface StreamdServer {
  readonly services: Services;
  /** Opens the TCP port, then the UDP one; resolves with the TCP address (`services.udpPort` has the other). */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, ends downloads with ERR shutting_down, and closes every connection within `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export function createStreamdServer(options: ServerOptions, deps: { catalog: Catalog; log: Logger }): StreamdServer {
  const { limits } = options;
  const { log } = deps;
  // PROTOCOL.md section 4: every change that `idle` can wait for is announced here.
  const changes = new ChangeBus();
  // Section 5: a call's changes go to its parties' connections only.
  // The calls' clock (ring timeouts, ended calls forgotten) ticks only while one of them needs it.
  let callTimer: NodeJS.Timeout | undefined;
  const expireCalls = (): void => {
    calls.expire(new Date());
    if (calls.expiring) return;
    clearInterval(callTimer);
    callTimer = undefined;
  };
  const calls = new CallRegistry((options.calls ?? DEFAULT_CALLS).max, (names) => {
    for (const name of names) changes.notify('calls', devices.connectionsOf(name));
    if (!callTimer && calls.expiring) {
      callTimer = setInterval(expireCalls, CALL_TICK_MS);
      callTimer.unref();
    }
  });
  const devices = new DeviceRegistry(
    () => changes.notify('devices'),
    (name) => calls.deviceGone(name, new Date()),
  );
  const udp = createUdpServer(
    { host: options.host, port: options.udpPort, radio: options.radio, udp: options.udp, version: options.version },
    { ...deps, calls },
  );
  const loopDelay = watchLoopDelay();
  const descriptors = watchDescriptors(log);
  deps.catalog.onChange(() => changes.notify('catalog'));
  udp.radio.onChange = () => changes.notify('radio');
  const services: Services = {
    version: options.version,
    catalog: deps.catalog,
    blocks: new BlockReader(deps.catalog),
    devices,
    calls,
    voiceCounters: udp.voiceCounters,
    changes,
    counters: {
      startedAt: new Date(),
      loopDelay,
      descriptors,
      connectionsAccepted: 0,
      connectionsRejected: 0,
      downloadsActive: 0,
      downloadsServed: 0,
      bytesSent: 0,
    },
    password: options.password || undefined,
    log,
    radio: udp.radio,
    icecast: udp.icecast,
    streams: udp.streams,
    udpCounters: udp.counters,
    udpFamily: udp.family,
    udpPort: options.udpPort,
  };
  const table = createCommandTable();
  const connections = new Set<Connection>();
  let nextId = 1;
  const greeting = okLine(`streamd ${options.version}`);

  /** Open connections by peer IP: one address may not take every slot. */
  const perAddress = new Map<string, number>();
  const refuse = (socket: net.Socket, why: string): void => {
    services.counters.connectionsRejected++;
    socket.on('error', () => {});
    socket.end(errLine('server_full', why));
    setTimeout(() => socket.destroy(), 2000).unref();
  };

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
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
      table,
      services,
      limits,
      log,
      onClose(closed) {
        connections.delete(closed);
        const left = (perAddress.get(ip) ?? 1) - 1;
        if (left > 0) perAddress.set(ip, left);
        else perAddress.delete(ip);
        changes.unsubscribe(closed.session.id);
        services.devices.disconnect(closed.session.id);
        services.streams.closeSession(closed.session.id);
      },
    });
    connections.add(connection);
    changes.subscribe(connection.session.id);
    services.devices.connect(connection.session.id, connection.session.address, new Date());
    connection.start(greeting);
  });
  // Past this Node drops connections without a word; below it ours get `ERR server_full` first.
  server.maxConnections = limits.max_connections * 4;

  return {
    services,
    async listen() {
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: options.host, port: options.port }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
      try {
        services.udpPort = (await udp.listen()).port;
      } catch (error) {
        server.close();
        throw error;
      }
      return address;
    },
    async close(graceMs = 4000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.shutdown();
      const deadline = setTimeout(() => {
        for (const connection of connections) connection.destroy();
      }, graceMs);
      await udp.close();
      await closed;
      loopDelay.stop();
      descriptors.stop();
      clearInterval(callTimer);
      clearTimeout(deadline);
    },
  };
}
