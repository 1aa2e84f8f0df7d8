/**
 * What an Icecast server answers goes into the daemon's log as one line, escaped: a status line with
 * bare line feeds cannot forge a line for fail2ban (the README's filter) or for anyone reading.
 */
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { IcecastSource } from '../../daemon/icecast/icecast-source.js';
import { createLogger } from '../../daemon/log.js';
import { until } from '../helpers/log-capture.js';

describe('an Icecast server’s answer in the log', () => {
  it('a forged line in a status line stays inside its one line', async () => {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () =>
        socket.end(
          'HTTP/1.0 599 Nope\n2026-11-21T20:31:07.412Z warn  password refused for 203.0.113.77 port 1\nX: y\r\n\r\n',
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const written: string[] = [];
    const log = createLogger({ write: (text: string) => written.push(text) });
    const source = new IcecastSource(
      { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/m.mp3`, password: 'p' },
      { name: 'n', description: 'd', userAgent: 'streamd/test' },
      log,
      () => {},
    );
    try {
      source.start();
      await until('the refusal logged', () => (written.some((text) => text.includes('599')) ? true : undefined));
      const lines = written.join('').split('\n').filter(Boolean);
      assert.ok(!lines.some((line) => /^\S+ warn {2}password refused for/.test(line)), lines.join('\n'));
      assert.ok(
        lines.some((line) =>
          line.includes('599 Nope\\n2026-11-21T20:31:07.412Z warn  password refused for 203.0.113.77'),
        ),
        lines.join('\n'),
      );
    } finally {
      source.close();
      server.close();
    }
  });
});

describe('title updates to an Icecast server that trickles its answers', () => {
  it('go one at a time, the newest title next, each cut off at its deadline', { timeout: 30_000 }, async () => {
    const titles: string[] = [];
    let open = 0;
    let most = 0;
    const server = net.createServer((socket) => {
      open++;
      most = Math.max(most, open);
      socket.on('close', () => open--);
      socket.on('error', () => {});
      socket.once('data', (chunk: Buffer) => {
        const head = chunk.toString('latin1');
        if (head.startsWith('PUT') || head.startsWith('SOURCE')) return void socket.write('HTTP/1.0 200 OK\r\n\r\n');
        titles.push(new URLSearchParams(head.split(' ')[1]?.split('?')[1] ?? '').get('song') ?? '');
        // An answer that never ends: a byte each half second.
        socket.write('HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n');
        const trickle = setInterval(() => (socket.destroyed ? clearInterval(trickle) : socket.write('.')), 500);
        socket.on('close', () => clearInterval(trickle));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let connected = false;
    const source = new IcecastSource(
      { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/m.mp3`, password: 'p' },
      { name: 'n', description: 'd', userAgent: 'streamd/test' },
      createLogger({ write: () => true }),
      () => (connected = true),
    );
    try {
      source.start();
      await until('the source connected', () =>
        connected && source.status().state === 'connected' ? true : undefined,
      );
      for (let i = 0; i < 50; i++) source.setTitle(`song ${i}`);
      await until(
        'the newest title sent after the first was cut off',
        () => (titles.includes('song 49') ? true : undefined),
        15_000,
      );
      assert.deepEqual(titles.slice(0, 2), ['song 0', 'song 49'], 'the first, then only the newest');
      assert.ok(most <= 2, `${most} connections at once: the source and one title update`);
    } finally {
      source.close();
      server.close();
    }
  });
});
