/**
 * The daemon's UDP socket (docs/protocol.md, UDP): reads datagrams, has the codec classify them,
 * hands the well-formed ones to the instance's router (daemon/instance.ts), and sends: live
 * datagrams (the radio, voice) dropped when the socket's queue is full, song streams paced by it.
 * Malformed input is counted and never answered.
 */
import dgram from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import { decodeDatagram, type Datagram } from '../../common/datagram/codec.js';
import type { Logger } from '../log.js';
import type { Peer, UdpCounters } from '../udp/udp-types.js';
import { SOCKET_QUEUE_BYTES, type PacedSocket } from '../udp/stream-sender.js';

export interface UdpServerOptions {
  host: string;
  port: number;
}

export type DatagramHandler = (datagram: Datagram, from: Peer, size: number) => void;

export interface UdpServer {
  /** What went through the socket; the radio and the song streams count their sends here too. */
  readonly counters: UdpCounters;
  /** IPv4 or IPv6: a song stream can only go to a peer of the same family. */
  readonly family: 'udp4' | 'udp6';
  /** Sends a live datagram, or drops it (false) when the path cannot take it: never queued. */
  sendLive(bytes: Buffer, peer: Peer): boolean;
  /** Sends that wait: each send's callback tells the song stream its datagram left the queue. */
  readonly paced: PacedSocket;
  /** Who gets the well-formed datagrams. */
  receive(handler: DatagramHandler): void;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * Large enough for a round of datagrams to a thousand listeners, and for a burst of SUBSCRIBEs and
 * KEEPALIVEs, without the kernel dropping any (it caps them at net.core.wmem_max / rmem_max).
 */
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export function createUdpServer(options: UdpServerOptions, log: Logger): UdpServer {
  const family = net.isIPv6(options.host) ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type: family });
  const counters: UdpCounters = {
    datagramsSent: 0,
    bytesSent: 0,
    rejected: 0,
    malformed: 0,
    radioDropped: 0,
    streamPauses: 0,
    streamsUnproven: 0,
    streamsSilent: 0,
  };
  let handler: DatagramHandler = () => {};

  socket.on('message', (message, rinfo) => {
    const decoded = decodeDatagram(message);
    if (!decoded.ok) {
      counters.malformed++;
      return;
    }
    handler(decoded.datagram, { address: rinfo.address, port: rinfo.port }, rinfo.size);
  });
  // A send to a port nobody listens on comes back as an ICMP error on some systems: not fatal.
  socket.on('error', (error) => log.debug(`udp: ${error.message}`));

  return {
    counters,
    family,
    sendLive(bytes, peer) {
      if (socket.getSendQueueSize() > SOCKET_QUEUE_BYTES) return false;
      socket.send(bytes, peer.port, peer.address);
      return true;
    },
    paced: {
      send: (bytes, peer, done) => socket.send(bytes, peer.port, peer.address, done),
      queuedBytes: () => socket.getSendQueueSize(),
    },
    receive(next) {
      handler = next;
    },
    listen() {
      return new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: options.host, port: options.port }, () => {
          socket.off('error', reject);
          socket.setSendBufferSize(SEND_BUFFER_BYTES);
          socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
          resolve(socket.address());
        });
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // never bound
        }
      });
    },
  };
}
