/**
 * Load generator for bench/calls.ts, in a process of its own: sets up `calls` calls through the
 * daemon (two registered devices each, a UDP socket per party), then on 'measure' has every party
 * send a VOICE datagram every 20 ms (token + a 60-byte packet: 24 kbit/s Opus) for the window,
 * and reports what it sent and what came back through the relay.
 *
 * argv: tcp-port udp-port calls
 */
import dgram from 'node:dgram';
import { DatagramType, encodeDatagram } from '../common/datagram/codec.js';
import { TestClient } from '../test/helpers/client.js';

const [tcpPort, udpPort, callsText] = process.argv.slice(2).map(Number) as [number, number, number];
const PACKET = Buffer.alloc(60, 0x5a);

interface Party {
  socket: dgram.Socket;
  token: Buffer;
  call: number;
  sequence: number;
}

const parties: Party[] = [];
let received = 0;
const clients: TestClient[] = [];
for (let i = 0; i < callsText; i++) {
  const pair: Array<{ client: TestClient; socket: dgram.Socket }> = [];
  for (const side of ['a', 'b']) {
    const client = (await TestClient.connect(tcpPort)).client;
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => received++);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const registered = await client.command('register', `party${i}${side}`, '-', String(socket.address().port));
    if (!registered.ok) throw new Error(registered.text);
    clients.push(client);
    pair.push({ client, socket });
  }
  const [a, b] = pair as [(typeof pair)[0], (typeof pair)[0]];
  const call = await a.client.command('call', `party${i}b`);
  const id = call.fields.find(([key]) => key === 'call')?.[1] as string;
  await b.client.command('answer', id, 'yes');
  for (const side of [a, b]) {
    const token = (await side.client.command('calls')).fields.find(([key]) => key === 'token')?.[1] as string;
    parties.push({ socket: side.socket, token: Buffer.from(token, 'hex'), call: Number(id), sequence: 0 });
  }
}
const send = (party: Party): void => {
  const payload = Buffer.concat([party.token, PACKET]);
  party.socket.send(
    encodeDatagram({
      type: DatagramType.VOICE,
      stream: party.call,
      sequence: party.sequence,
      position: party.sequence * 960,
      payload,
    }),
    udpPort,
    '127.0.0.1',
  );
  party.sequence++;
};
// One datagram from each party proves its address before the window.
for (const party of parties) send(party);
await new Promise((resolve) => setTimeout(resolve, 200));
process.send?.({ type: 'ready', parties: parties.length });
process.on('message', (message: { type: string; seconds: number }) => {
  if (message.type !== 'measure') return;
  received = 0;
  let sent = 0;
  const timer = setInterval(() => {
    for (const party of parties) send(party);
    sent += parties.length;
  }, 20);
  setTimeout(() => {
    clearInterval(timer);
    setTimeout(() => {
      process.send?.({ type: 'result', sent, received });
      for (const client of clients) client.close();
      for (const party of parties) party.socket.close();
      process.exit(0);
    }, 200);
  }, message.seconds * 1000);
});
