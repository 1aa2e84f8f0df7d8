import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { randomBytes, seeded } from '../helpers/random.js';

let library: FixtureLibrary;
let daemon: TestDaemon;

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root, {
    limits: { max_connections: 256, max_output_bytes: 256 * 1024, write_stall_timeout: 3 },
  });
});
after(async () => {
  await daemon.stop();
  library.cleanup();
});

async function connect(port = daemon.port): Promise<TestClient> {
  return (await TestClient.connect(port)).client;
}

/** The daemon still answers a fresh client fully. */
async function assertHealthy(port = daemon.port): Promise<void> {
  const client = await connect(port);
  try {
    assert.ok(records(await client.line('lista'), 'song').length > 5);
    const download = await client.command('download', 'lamejs-cbr.mp3');
    assert.equal(download.ok, true);
  } finally {
    client.close();
  }
}

describe('path tricks', () => {
  const tricks = [
    '../outside/secret.mp3',
    '../../../../etc/passwd',
    '/etc/passwd',
    'lame/../lamejs-cbr.mp3',
    './lamejs-cbr.mp3',
    'lame//vbr-xing.mp3',
    'link-out.mp3',
    'dir-out/secret.mp3',
    'passwd.mp3',
    'secret',
    'lamejs-cbr.mp3\0',
    'lamejs-cbr.mp3\0.txt',
    'lamejs-cbr%2Emp3',
    '..%2Foutside%2Fsecret.mp3',
    '%2e%2e/outside/secret.mp3',
    'fifo.mp3',
    'notes.txt',
    'empty.mp3',
    'not-audio',
    '',
    '0',
    '99999',
  ];
  it('answers every one with the same not_found', async () => {
    const client = await connect();
    try {
      tricks.push(path.join(library.root, 'lamejs-cbr.mp3'));
      for (const trick of tricks) {
        const response = await client.command('download', trick);
        assert.equal(response.code, 'not_found', JSON.stringify(trick));
        assert.equal(response.trackStart, false);
      }
    } finally {
      client.close();
    }
  });
});

describe('hostile lines', () => {
  it('answers a 1 MB line with line_too_long and closes', async () => {
    const client = await connect();
    client.send('ping\n');
    client.send(Buffer.alloc(1024 * 1024, 0x61));
    assert.equal((await client.next()).ok, true);
    assert.equal((await client.next()).code, 'line_too_long');
    await client.closed;
    await assertHealthy();
  });

  it('answers invalid UTF-8 and control characters with ERR and lives on', async () => {
    const client = await connect();
    try {
      client.send(Buffer.from([0x64, 0x6f, 0xff, 0xfe, 0x0a]));
      assert.equal((await client.next()).code, 'bad_request');
      client.send(Buffer.from([0xc3, 0x0a])); // a UTF-8 sequence cut by the newline
      assert.equal((await client.next()).code, 'bad_request');
      assert.equal((await client.line('\x00\x01\x1b[2J')).code, 'unknown_command');
      assert.equal((await client.line('att status \x1b[31mred')).code, 'bad_argument');
      assert.equal((await client.line('download "unterminated')).code, 'bad_request');
      assert.equal((await client.line('ping')).ok, true);
    } finally {
      client.close();
    }
  });

  it('pauses a flood of commands instead of queueing it, then answers it all', async () => {
    const client = await connect();
    try {
      const count = 20_000;
      client.send('ping\n'.repeat(count));
      for (let i = 0; i < count; i++) assert.equal((await client.next()).ok, true);
    } finally {
      client.close();
    }
  });

  it('survives random bytes on many connections', async () => {
    const rand = seeded(99);
    const sockets = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const socket = net.connect(daemon.port, '127.0.0.1');
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once('connect', resolve));
        for (let k = 0; k < 5; k++) socket.write(randomBytes(rand, 1 + Math.floor(rand() * 3000)));
        return socket;
      }),
    );
    await until('the junk written out', () => sockets.every((socket) => socket.writableLength === 0) || undefined);
    for (const socket of sockets) socket.destroy();
    await assertHealthy();
  });
});

describe('slow and vanishing readers', () => {
  it('bounds what it queues for a client that never reads, and serves others meanwhile', async () => {
    const bytesBefore = daemon.server.services.counters.bytesSent;
    const stalled = net.connect(daemon.port, '127.0.0.1');
    stalled.on('error', () => {});
    const closed = new Promise((resolve) => stalled.once('close', resolve));
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.pause();
    stalled.write('download "wav/code-16bit.wav"\n'.repeat(20)); // 20 x 5.8 MB if it were all queued
    // Until the daemon stops sending: its queue and the kernel's buffers are full.
    let last = -1;
    await until('the daemon to stop sending to a client that reads nothing', async () => {
      const now = daemon.server.services.counters.bytesSent;
      const settled = now > bytesBefore && now === last;
      last = now;
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 200));
      return settled || undefined;
    });
    const sent = daemon.server.services.counters.bytesSent - bytesBefore;
    // What left the daemon: its own queue (256 KiB) plus what the kernel's socket buffers hold.
    assert.ok(sent < 16 * 1024 * 1024, `${sent} bytes went out to a client that reads nothing`);

    const other = await connect();
    const full = await other.command('download', 'wav/code-16bit.wav');
    assert.equal(full.ok, true);
    other.close();

    // write_stall_timeout (3 s here) ends it; a paused socket sees the close once it reads again.
    await until(
      'the stalled download to be dropped',
      () => daemon.server.services.counters.downloadsActive === 0 || undefined,
    );
    stalled.resume();
    await closed;
  });

  it('shrugs off a reset in the middle of a download', async () => {
    for (let n = 0; n < 5; n++) {
      const socket = net.connect(daemon.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('download "wav/code-16bit.wav"\n');
      await new Promise<void>((resolve) => {
        let got = 0;
        socket.on('data', (chunk) => {
          got += chunk.length;
          if (got > 100_000) resolve();
        });
      });
      socket.resetAndDestroy();
    }
    await until('downloads to end', () => daemon.server.services.counters.downloadsActive === 0 || undefined);
    await assertHealthy();
  });
});

describe('connection limits', () => {
  it('greets or refuses with server_full each of 600 connections at once, then serves normally', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 600 }, () =>
        TestClient.connect(daemon.port).then(
          ({ client, greeting }) => ({ client, greeting }),
          (error: Error) => ({ client: undefined, greeting: undefined, error }),
        ),
      ),
    );
    const greeted = attempts.filter((a) => a.greeting?.ok).length;
    const refused = attempts.filter((a) => a.greeting?.code === 'server_full').length;
    assert.equal(greeted + refused, 600, 'every connection got an answer');
    assert.ok(greeted <= 256 && greeted >= 200, `${greeted} greeted`);
    assert.ok(refused >= 344, `${refused} refused`);
    for (const attempt of attempts) attempt.client?.close();
    await until('connections to close', () => daemon.server.services.devices.connectionCount === 0 || undefined);
    await assertHealthy();
  });

  it('refuses a connection past max_connections_per_address, and takes one again when another closes', async () => {
    const limited = await startTestDaemon(library.root, { limits: { max_connections_per_address: 3 } });
    try {
      const three = await Promise.all([0, 1, 2].map(async () => (await TestClient.connect(limited.port)).client));
      const fourth = await TestClient.connect(limited.port);
      assert.equal(fourth.greeting.code, 'server_full');
      assert.match(fourth.greeting.text, /3 connections from your address are open/);
      await fourth.client.closed;
      three[0]!.close();
      await until('the slot free', () => (limited.server.services.devices.connectionCount === 2 ? true : undefined));
      const again = await TestClient.connect(limited.port);
      assert.equal(again.greeting.ok, true);
      for (const client of [...three, again.client]) client.close();
    } finally {
      await limited.stop();
    }
  });

  it('does not count blank lines as commands: a client sending only them is timed out', async () => {
    const quick = await startTestDaemon(library.root, { limits: { connection_timeout: 0.5 } });
    try {
      const blank = await connect(quick.port);
      const keeping = setInterval(() => blank.send('\n'), 100);
      const started = Date.now();
      const answer = await blank.next();
      clearInterval(keeping);
      assert.equal(answer.code, 'timeout');
      assert.ok(Date.now() - started < 3000, 'timed out although it sent a blank line every 100 ms');
      await blank.closed;
    } finally {
      await quick.stop();
    }
  });

  it('with a password, closes a connection that has not given it within auth_timeout', async () => {
    const locked = await startTestDaemon(library.root, { password: 'pw', limits: { auth_timeout: 0.5 } });
    try {
      const guesser = await connect(locked.port);
      assert.equal((await guesser.line('ping')).ok, true, 'open commands answer meanwhile');
      const answer = await guesser.next();
      assert.equal(answer.code, 'timeout');
      assert.match(answer.text, /no password within 0\.5 s/);
      await guesser.closed;
      const member = await connect(locked.port);
      assert.equal((await member.line('password pw')).ok, true);
      await new Promise((resolve) => setTimeout(resolve, 800)); // past auth_timeout: nothing must come
      assert.equal((await member.line('ping')).ok, true, 'a connection that gave the password stays');
      member.close();
    } finally {
      await locked.stop();
    }
  });

  it('closes a connection idle for connection_timeout, partial bytes or not, but not a download in progress', async () => {
    const quick = await startTestDaemon(library.root, { limits: { connection_timeout: 0.5, write_stall_timeout: 30 } });
    try {
      const idle = await connect(quick.port);
      idle.send('pin'); // partial: does not count as a command
      assert.equal((await idle.next()).code, 'timeout');
      await idle.closed;

      const busy = net.connect(quick.port, '127.0.0.1');
      busy.on('error', () => {});
      await new Promise((resolve) => busy.once('connect', resolve));
      busy.pause();
      busy.write('download "wav/code-16bit.wav"\n');
      // A connection opened with it that sends nothing is timed out: by then, the busy one would be too.
      const control = await connect(quick.port);
      await until('a download running', () => quick.server.services.counters.downloadsActive === 1 || undefined);
      await control.closed;
      await new Promise((resolve) => setTimeout(resolve, 600)); // and one more connection_timeout
      assert.equal(busy.destroyed, false);
      assert.equal(quick.server.services.counters.downloadsActive, 1);
      busy.destroy();
    } finally {
      await quick.stop();
    }
  });
});
