/**
 * The player's daemon connection against servers that misbehave, over real TCP: what goes wrong
 * is told (a broken framing, a refused connection), never swallowed, and the client starts over.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DaemonClient } from '../../tui/client/daemon-client.js';
import { freePort } from '../helpers/cli.js';

describe('daemon client', () => {
  it('tells of a daemon that breaks the framing, and connects again', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.write('OK streamd fake\n');
      socket.on('data', (chunk) => {
        if (chunk.toString().includes('lista')) socket.write('block: not a block line\n');
        else socket.write('OK\n'.repeat(chunk.toString().split('\n').length - 1));
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new DaemonClient({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, name: 'x' });
    try {
      client.start();
      await once(client, 'online');
      const warned = once(client, 'warning');
      await assert.rejects(client.request('lista'), /connection to streamd lost/);
      const [text] = (await warned) as [string];
      assert.match(text, /streamd broke the protocol \(malformed block line: block: not a block line\): connecting again/);
      await once(client, 'online');
      assert.equal(connections, 2);
    } finally {
      client.close();
      server.close();
    }
  });

  it('tells why it cannot connect', async () => {
    const port = await freePort(); // nothing listens there
    const client = new DaemonClient({ host: '127.0.0.1', port, name: 'x' });
    try {
      client.start();
      const [text] = (await once(client, 'socket-error')) as [string];
      assert.match(text, new RegExp(`127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
    } finally {
      client.close();
    }
  });
});
