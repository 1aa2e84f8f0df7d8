/**
 * Run inside the slow path's namespace by udp-egress.test.ts: asks the daemon for `count` song
 * streams to one UDP socket, proves each, keeps them alive, and counts the bytes that arrive.
 * Prints `ready` once every stream is proven, then a JSON count on each line of stdin.
 *
 * argv: host tcp-port udp-port count song
 */
import dgram from 'node:dgram';
import readline from 'node:readline';
import { DatagramType } from '../../common/datagram/codec.js';
import { tokenDatagram } from '../../common/datagram/messages.js';
import { TestClient } from './client.js';

const [host, tcpPort, udpPort, countText, song] = process.argv.slice(2) as [string, string, string, string, string];
const socket = dgram.createSocket('udp4');
let bytes = 0;
socket.on('message', (message) => (bytes += message.length));
await new Promise<void>((resolve) => socket.bind(0, resolve));
const proofs: Buffer[] = [];
const clients: TestClient[] = [];
for (let i = 0; i < Number(countText); i++) {
  if (i % 4 === 0) clients.push((await TestClient.connect(Number(tcpPort), host)).client);
  const response = await (clients.at(-1) as TestClient).command('stream', song, String(socket.address().port));
  if (!response.ok) throw new Error(response.text);
  const field = (key: string): string => response.fields.find(([k]) => k === key)?.[1] ?? '';
  proofs.push(tokenDatagram(DatagramType.KEEPALIVE, Number(field('stream')), Buffer.from(field('token'), 'hex')));
}
const keepalive = (): void => proofs.forEach((proof) => socket.send(proof, Number(udpPort), host));
keepalive();
setInterval(keepalive, 2000);
console.log('ready');
readline.createInterface({ input: process.stdin }).on('line', () => console.log(JSON.stringify({ bytes })));
process.stdin.on('end', () => process.exit(0));
