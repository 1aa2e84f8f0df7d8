/**
 * The throughput baseline: reads the files a client names and writes them to its socket with
 * nothing else (no framing, no hashing, no protocol). Run as its own process, like the daemon.
 * A client sends file paths, one per line, then an empty line; the server streams each file in
 * turn and closes.
 */
import { createReadStream } from 'node:fs';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';

const server = net.createServer((socket) => {
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString();
    if (!text.endsWith('\n\n')) return;
    void (async () => {
      for (const file of text.trim().split('\n')) await pipeline(createReadStream(file), socket, { end: false });
      socket.end();
    })();
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as net.AddressInfo).port));
