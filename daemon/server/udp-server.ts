/**
 * The daemon's UDP socket (PROTOCOL.md section 3): reads datagrams, has the codec classify them,
 * hands subscriptions to the radio, and sends for the radio and the song streams. Malformed input
 * is counted and never answered.
 */
import dgram from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import type { RadioSettings, UdpSettings } from '../../common/config-schema.js';
import { decodeDatagram, DatagramType } from '../../common/datagram/codec.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Logger } from '../log.js';
import { IcecastSource } from '../icecast/icecast-source.js';
import { Radio } from '../radio/radio.js';
import type { Peer, UdpCounters } from '../udp/udp-types.js';
import type { CallRegistry } from '../calls/call-registry.js';
import { newVoiceCounters, VoiceRelay, type VoiceCounters } from '../calls/voice-relay.js';
import { SongStreams } from '../udp/song-streams.js';
import { SOCKET_QUEUE_BYTES, type PacedSocket } from '../udp/stream-sender.js';

export interface UdpServerOptions {
  host: string;
  port: number;
  radio: RadioSettings;
  udp: UdpSettings;
  /** Sent to Icecast as the source's User-Agent. */
  version?: string;
}

export interface UdpServer {
  readonly radio: Radio;
  /** The programme as an Icecast source, one per target (issue 11). */
  readonly icecast: readonly IcecastSource[];
  readonly streams: SongStreams;
  readonly counters: UdpCounters;
  readonly voiceCounters: VoiceCounters;
  /** IPv4 or IPv6: a song stream can only go to a peer of the same family. */
  readonly family: 'udp4' | 'udp6';
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** How often the counters go to the log (when they changed). */
const LOG_EVERY_MS = 60_000;
/**
 * Large enough for a round of datagrams to a thousand listeners, and for a burst of SUBSCRIBEs and
 * KEEPALIVEs, without the kernel dropping any (it caps them at net.core.wmem_max / rmem_max).
 */
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export function createUdpServer(
  options: UdpServerOptions,
  deps: { catalog: Catalog; log: Logger; calls: CallRegistry },
): UdpServer {
  const { log } = deps;
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
  // The radio is live: when the path cannot take its datagrams they are dropped, never queued.
  const sendLive = (bytes: Buffer, peer: Peer): boolean => {
    if (socket.getSendQueueSize() > SOCKET_QUEUE_BYTES) return false;
    socket.send(bytes, peer.port, peer.address);
    return true;
  };
  // Song streams wait instead: each send's callback tells them the datagram left the queue.
  const paced: PacedSocket = {
    send: (bytes, peer, done) => socket.send(bytes, peer.port, peer.address, done),
    queuedBytes: () => socket.getSendQueueSize(),
  };
  const radio = new Radio(options.radio, options.udp.listener_timeout, deps.catalog, sendLive, counters, log);
  const about = {
    name: 'streamd radio',
    description: 'the live programme of a streamd music library',
    userAgent: `streamd/${options.version ?? '?'}`,
  };
  const icecast = options.radio.enabled
    ? options.radio.icecast.map((target) => new IcecastSource(target, about, log, () => radio.outletChanged()))
    : [];
  for (const source of icecast) radio.outlets.add(source);
  const streams = new SongStreams(options.udp, paced, counters, log, radio.stream);
  // Voice is live too: a full queue drops it rather than delay it.
  const voice = new VoiceRelay(deps.calls, newVoiceCounters(), sendLive);
  let logTimer: NodeJS.Timeout | undefined;
  let logged = '';

  socket.on('message', (message, rinfo) => {
    const decoded = decodeDatagram(message);
    if (!decoded.ok) {
      counters.malformed++;
      return;
    }
    const { type } = decoded.datagram;
    const from = { address: rinfo.address, port: rinfo.port };
    if (type === DatagramType.VOICE || type === DatagramType.VOICE_REPORT) {
      voice.handle(decoded.datagram, from);
    } else if (
      (type === DatagramType.KEEPALIVE || type === DatagramType.LEAVE) &&
      streams.owns(decoded.datagram.stream)
    ) {
      streams.handle(decoded.datagram, from);
    } else if (type === DatagramType.SUBSCRIBE || type === DatagramType.KEEPALIVE || type === DatagramType.LEAVE) {
      radio.handle(decoded.datagram, from, rinfo.size);
    } else counters.malformed++;
  });
  // A send to a port nobody listens on comes back as an ICMP error on some systems: not fatal.
  socket.on('error', (error) => log.debug(`udp: ${error.message}`));

  const logCounters = (): void => {
    const line = `udp: ${counters.datagramsSent} datagrams sent, ${radio.status().listeners} listeners, ${counters.rejected} rejected, ${counters.malformed} malformed, ${streams.active} song streams, ${counters.streamPauses} stream pauses, ${counters.radioDropped} radio datagrams dropped`;
    if (line !== logged) log.info(line);
    logged = line;
  };

  return {
    radio,
    icecast,
    streams,
    counters,
    voiceCounters: voice.counters,
    family,
    listen() {
      return new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: options.host, port: options.port }, () => {
          socket.off('error', reject);
          socket.setSendBufferSize(SEND_BUFFER_BYTES);
          socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
          logTimer = setInterval(logCounters, LOG_EVERY_MS);
          logTimer.unref();
          for (const source of icecast) source.start();
          resolve(socket.address());
        });
      });
    },
    async close() {
      clearInterval(logTimer);
      for (const source of icecast) source.close();
      radio.close();
      streams.closeAll();
      logCounters();
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
