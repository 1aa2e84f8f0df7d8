/**
 * A lossy UDP relay for tests: drops a set share of the datagrams it carries (seeded, so a run can
 * be repeated), holds some back so that they arrive out of order, and sends some twice. It counts
 * what it did, by sequence number, for the test to compare with what the listener reports.
 *
 * - proxy mode (`upstreamPort`): clients talk to the relay as if it were the daemon; each client
 *   gets its own socket towards the daemon, and the daemon's answers are impaired on the way back.
 * - forward mode (`forwardTo`, `upstreamPort`): what the daemon sends is impaired and sent on to
 *   the client's port (a song stream, which the daemon sends to the port the client named); what
 *   the client sends from that port goes on to the daemon from the relay's, so that the relay's
 *   port is the one that proves it wants the stream.
 */
import dgram from 'node:dgram';
import { decodeDatagram, DatagramType } from '../../common/datagram/codec.js';
import { seeded } from './random.js';

export interface RelayOptions {
  /** Share of the impaired datagrams dropped, 0-1. */
  loss: number;
  /**
   * random (default): each datagram is dropped with probability `loss` (seeded). even: exactly
   * that share of every run of datagrams, spread out (so any 10 s window has the same loss).
   */
  pattern?: 'random' | 'even';
  /** Share held back by `delayMs` (so that later ones overtake them). */
  reorder?: number;
  delayMs?: number;
  /** Share sent twice. */
  duplicate?: number;
  seed?: number;
  /** The datagram type impaired (default AUDIO; VOICE for a call); the others pass untouched. */
  type?: DatagramType;
}

export interface RelayCounts {
  /** AUDIO datagrams that reached the relay. */
  audio: number;
  dropped: number;
  reordered: number;
  duplicated: number;
  /** Sequence numbers dropped, and those passed on, per stream. */
  droppedSequences: Set<number>;
  passedSequences: Set<number>;
}

export interface LossyRelay {
  port: number;
  counts: RelayCounts;
  /** Changes the share dropped from now on (1: a blackout). */
  setLoss(loss: number): void;
  close(): void;
}

export async function lossyRelay(
  target: { upstreamPort: number } | { forwardTo: number; upstreamPort: number },
  options: RelayOptions,
): Promise<LossyRelay> {
  const random = seeded(options.seed ?? 7);
  const counts: RelayCounts = {
    audio: 0,
    dropped: 0,
    reordered: 0,
    duplicated: 0,
    droppedSequences: new Set(),
    passedSequences: new Set(),
  };
  const front = dgram.createSocket('udp4');
  const upstream = new Map<string, dgram.Socket>();
  let closed = false;

  /** Only AUDIO (or `type`) is impaired: the loss figure is about audio, and the handshake is tested elsewhere. */
  const impair = (message: Buffer, deliver: (bytes: Buffer) => void): void => {
    const decoded = decodeDatagram(message);
    if (!decoded.ok || decoded.datagram.type !== (options.type ?? DatagramType.AUDIO)) return deliver(message);
    counts.audio++;
    const sequence = decoded.datagram.sequence;
    const drop =
      options.pattern === 'even'
        ? Math.floor(counts.audio * options.loss) > Math.floor((counts.audio - 1) * options.loss)
        : random() < options.loss;
    if (drop) {
      counts.dropped++;
      counts.droppedSequences.add(sequence);
      return;
    }
    counts.passedSequences.add(sequence);
    const send = (): void => {
      if (closed) return;
      deliver(message);
      if (random() < (options.duplicate ?? 0)) {
        counts.duplicated++;
        deliver(message);
      }
    };
    if (random() < (options.reorder ?? 0)) {
      counts.reordered++;
      setTimeout(send, options.delayMs ?? 40);
    } else send();
  };

  front.on('message', (message, from) => {
    if ('forwardTo' in target) {
      if (from.port === target.forwardTo) return front.send(message, target.upstreamPort, '127.0.0.1');
      return impair(message, (bytes) => front.send(bytes, target.forwardTo, '127.0.0.1'));
    }
    const key = `${from.address}:${from.port}`;
    let socket = upstream.get(key);
    if (!socket) {
      const own = dgram.createSocket('udp4');
      own.on('message', (reply) => impair(reply, (bytes) => !closed && front.send(bytes, from.port, from.address)));
      own.on('error', () => {});
      upstream.set(key, own);
      socket = own;
    }
    socket.send(message, target.upstreamPort, '127.0.0.1');
  });
  front.on('error', () => {});
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    counts,
    setLoss(loss) {
      options.loss = loss;
    },
    close() {
      closed = true;
      front.close();
      for (const socket of upstream.values()) socket.close();
    },
  };
}
