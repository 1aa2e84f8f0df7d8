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
