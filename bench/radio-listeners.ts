/**
 * The radio load generator (its own process, so its work is not the daemon's): `count` listeners,
 * each its own UDP socket, subscribed as docs/protocol.md, UDP says, counting what arrives.
 * Talks to its parent over IPC: 'ready' once all are listening, then on 'measure' it counts for
 * the given seconds and answers with the totals, then leaves.
 */
import dgram from 'node:dgram';
import { decodeDatagram, DatagramType } from '../common/datagram/codec.js';
import { LossMeter, type LossCounts } from '../common/datagram/loss-meter.js';
import { parseAccept, subscribeDatagram, tokenDatagram } from '../common/datagram/messages.js';

const [portText, countText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);

interface Listener {
  socket: dgram.Socket;
  token?: Buffer;
  stream: number;
  meter: LossMeter;
  rejected: boolean;
  /** Audio arrived: the daemon counts it as a listener. */
  hearing: boolean;
}

const listeners: Listener[] = [];
let counting = false;

for (let i = 0; i < count; i++) {
  const socket = dgram.createSocket('udp4');
  const listener: Listener = { socket, stream: 0, meter: new LossMeter(1000), rejected: false, hearing: false };
  socket.on('message', (message) => {
    const decoded = decodeDatagram(message);
    if (!decoded.ok) return;
    const { type, payload, sequence, stream } = decoded.datagram;
    if (type === DatagramType.ACCEPT && !listener.token) {
      listener.token = parseAccept(payload)?.token;
      listener.stream = stream;
      socket.send(tokenDatagram(DatagramType.KEEPALIVE, stream, listener.token as Buffer), port, '127.0.0.1');
    } else if (type === DatagramType.REJECT) listener.rejected = true;
    else if (type === DatagramType.AUDIO) {
      listener.hearing = true;
      if (counting) listener.meter.receive(sequence, Date.now());
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  listeners.push(listener);
  socket.send(subscribeDatagram(`bench-${i}`), port, '127.0.0.1');
}

// Each listener keeps its own 5 s rhythm (a fiftieth of them every 100 ms), as independent devices would.
let round = 0;
const keepalives = setInterval(() => {
  round++;
  listeners.forEach((listener, i) => {
    if (listener.token && (i + round) % 50 === 0)
      listener.socket.send(tokenDatagram(DatagramType.KEEPALIVE, listener.stream, listener.token), port, '127.0.0.1');
  });
}, 100);
// As a real client does (tui/udp/radio-client.ts): SUBSCRIBE again until answered, once a second,
// and KEEPALIVE again when no audio came (the first one may have been lost).
const retries = setInterval(() => {
  listeners.forEach((listener, i) => {
    if (!listener.token && !listener.rejected) listener.socket.send(subscribeDatagram(`bench-${i}`), port, '127.0.0.1');
    else if (listener.token && !listener.hearing)
      listener.socket.send(tokenDatagram(DatagramType.KEEPALIVE, listener.stream, listener.token), port, '127.0.0.1');
  });
}, 1000);

const started = Date.now();
while (listeners.some((l) => !l.hearing && !l.rejected) && Date.now() - started < 20_000)
  await new Promise((resolve) => setTimeout(resolve, 50));
clearInterval(retries);
process.send?.({
  type: 'ready',
  listening: listeners.filter((l) => l.hearing).length,
  rejected: listeners.filter((l) => l.rejected).length,
});

process.on('message', (message: { type: string; seconds: number }) => {
  if (message.type !== 'measure') return;
  counting = true;
  setTimeout(() => {
    counting = false;
    const now = Date.now();
    const totals: LossCounts = { received: 0, lost: 0, late: 0, duplicate: 0 };
    for (const listener of listeners) {
      listener.meter.finish(now);
      for (const key of Object.keys(totals) as Array<keyof LossCounts>) totals[key] += listener.meter.totals[key];
    }
    clearInterval(keepalives);
    for (const listener of listeners) {
      if (listener.token)
        listener.socket.send(tokenDatagram(DatagramType.LEAVE, listener.stream, listener.token), port, '127.0.0.1');
    }
    process.send?.({ type: 'result', totals }, () => setTimeout(() => process.exit(0), 200));
  }, message.seconds * 1000);
});
