/**
 * The player's daemon connection against servers that misbehave, over real TCP: what goes wrong
 * is told (a broken framing, a refused connection), never swallowed, and the client starts over.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';

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
      assert.match(
        text,
        /streamd broke the protocol \(malformed block line: block: not a block line\): connecting again/,
      );
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

  it('keeps a quiet connection open under connection_timeout with a ping (a reconnect is a devices change for every idler)', async () => {
    const music = mkdtempSync(path.join(os.tmpdir(), 'streamd-empty-music-'));
    const daemon = await startTestDaemon(music, { limits: { connection_timeout: 0.6 } });
    const kept = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'kept', keepAliveMs: 300 });
    const plain = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'plain' });
    const drops = { kept: 0, plain: 0 };
    kept.on('offline', () => drops.kept++);
    plain.on('offline', () => drops.plain++);
    try {
      kept.start();
      plain.start();
      await Promise.all([once(kept, 'online'), once(plain, 'online')]);
      await new Promise((resolve) => setTimeout(resolve, 2000)); // over three connection_timeouts
      assert.equal(drops.kept, 0, 'the kept connection was never closed');
      assert.ok(drops.plain >= 1, 'without the ping the daemon closes it (the test would prove nothing otherwise)');
      assert.equal((await kept.request('ping')).ok, true);
    } finally {
      kept.close();
      plain.close();
      await daemon.stop();
      rmSync(music, { recursive: true, force: true });
    }
  });

  it('learns a connection_timeout shorter than its keep-alive from the first ERR timeout, and stays open after', async () => {
    const music = mkdtempSync(path.join(os.tmpdir(), 'streamd-empty-music-'));
    const daemon = await startTestDaemon(music, { limits: { connection_timeout: 0.6 } });
    const client = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'learner', keepAliveMs: 45_000 });
    let drops = 0;
    client.on('offline', () => drops++);
    try {
      client.start();
      await once(client, 'online');
      await once(client, 'offline'); // quiet for 0.6 s: closed, the timeout learnt
      await once(client, 'online');
      await new Promise((resolve) => setTimeout(resolve, 2000)); // over three connection_timeouts
      assert.equal(drops, 1, 'closed once, then kept open by pings at half the timeout');
      assert.equal((await client.request('ping')).ok, true);
    } finally {
      client.close();
      await daemon.stop();
      rmSync(music, { recursive: true, force: true });
    }
  });
});
