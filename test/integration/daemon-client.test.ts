/**
 * The player's daemon connection against servers that misbehave, over real TCP: what goes wrong
 * is told (a broken framing, a refused connection), never swallowed, and the client starts over.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { parseSongList } from '../../common/protocol/replies.js';
import { UNSAFE_TEXT } from '../../common/protocol/response.js';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { id3v2Tag } from '../../daemon/demo/id3-writer.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { DaemonClient, MAX_REPLY_CHARS } from '../../tui/daemon-link/daemon-client.js';
import { SongHook } from '../../tui/desktop/song-hook.js';
import { formatM3u8 } from '../../common/playlist/m3u8.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { fakeDaemon } from '../helpers/fake-daemon.js';
import { until } from '../helpers/log-capture.js';

describe('daemon client', () => {
  it('tells of a daemon that breaks the framing, and connects again', async () => {
    const server = await fakeDaemon((line) => (line.startsWith('lista') ? 'block: not a block line\n' : undefined));
    const client = new DaemonClient({ host: '127.0.0.1', port: server.port, name: 'x' });
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
      assert.equal(server.connections, 2);
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

describe('a library file with tags of any length', () => {
  it('a 300,000-character title is served cut to 1,024 characters, and the player reads the list', async () => {
    const music = mkdtempSync(path.join(os.tmpdir(), 'streamd-long-tags-'));
    const pcm = synthesize({ title: 'x', seconds: 1, bpm: 120, root: 60, minor: false, seed: 5 }, 44100, 2);
    const huge = 'Ж'.repeat(300_000); // two bytes each in UTF-8: 600 KB in one ID3 frame
    writeFileSync(
      path.join(music, 'long.mp3'),
      Buffer.concat([id3v2Tag({ title: huge, artist: 'A' }), encodeMp3(pcm, 128)]),
    );
    writeFileSync(path.join(music, 'plain.mp3'), encodeMp3(pcm, 128));
    const daemon = await startTestDaemon(music);
    const client = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'reader' });
    let drops = 0;
    client.on('offline', () => drops++);
    try {
      client.start();
      await once(client, 'online');
      const songs = parseSongList((await client.request('lista')).fields);
      const long = songs.find((song) => song.file === 'long.mp3');
      assert.equal([...(long?.title ?? '')].length, 1024);
      assert.ok(long?.title?.endsWith('Ж…'), 'cut, with an ellipsis');
      assert.equal(long?.artist, 'A');
      assert.equal(songs.length, 2, 'the rest of the library with it');
      assert.equal(drops, 0, 'the connection held');
    } finally {
      client.close();
      await daemon.stop();
      rmSync(music, { recursive: true, force: true });
    }
  });
});

describe('a hostile daemon’s text', () => {
  it('NUL, a lone CR and escapes in its answers reach nothing of the player: the hook runs, the playlist keeps its lines', async () => {
    const server = await fakeDaemon((line) =>
      line.startsWith('lista')
        ? 'song: 1\nfile: a\rb.mp3\ntitle: x\0y\u009b2J\nartist: \u202eevil\nduration: 1.000\nformat: mp3\nsample_rate: 44100\nchannels: 2\nbytes: 10\nblocks: 1\netag: 0123456789abcdef\nOK\n'
        : undefined,
    );
    const client = new DaemonClient({ host: '127.0.0.1', port: server.port, name: 'x' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-hostile-text-'));
    try {
      client.start();
      await once(client, 'online');
      const [song] = parseSongList((await client.request('lista')).fields);
      assert.ok(song);
      for (const text of [song.file, song.title, song.artist]) assert.doesNotMatch(text ?? '', UNSAFE_TEXT);
      // The song-change hook gets the song in its environment: a NUL there stopped spawn.
      const out = path.join(dir, 'hook.txt');
      const logged: string[] = [];
      // Written beside and renamed: the shell's `>` makes the file empty before printf writes.
      const hook = new SongHook(
        `printf %s "$STREAMTUI_TITLE" > '${out}.part' && mv '${out}.part' '${out}'`,
        'x',
        (text) => logged.push(text),
      );
      hook.songChanged(song);
      const written = await until('the hook ran', () => (existsSync(out) ? readFileSync(out, 'utf8') : undefined));
      assert.equal(written, 'x y 2J');
      assert.deepEqual(logged, []);
      hook.close();
      // A playlist of it holds one entry in two lines, for every reader.
      assert.equal(formatM3u8([song]).split(/\r\n|\r|\n/).length, 4);
    } finally {
      client.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a hostile daemon’s endless answer', () => {
  it(
    'is dropped at the bound, said, and the connection made again: the player does not grow with it',
    { timeout: 60_000 },
    async () => {
      let sent = 0;
      const line = `file: ${'x'.repeat(4000)}\n`;
      const server = await fakeDaemon((asked, socket) => {
        if (!asked.startsWith('lista')) return undefined;
        // Every write counts, the one that fills the socket's buffer too: it is sent all the same.
        const more = (): void => {
          while (!socket.destroyed) {
            sent += 64 * line.length;
            if (!socket.write(line.repeat(64))) return;
          }
        };
        socket.on('drain', more);
        more();
        return '';
      });
      const client = new DaemonClient({ host: '127.0.0.1', port: server.port, name: 'x' });
      try {
        client.start();
        await once(client, 'online');
        const warned = once(client, 'warning');
        const heapBefore = process.memoryUsage().heapUsed;
        await assert.rejects(client.request('lista'), /connection to streamd lost/);
        const [text] = (await warned) as [string];
        assert.match(text, /an answer of over 64 M characters: connecting again/);
        assert.ok(sent >= MAX_REPLY_CHARS, `the daemon sent ${sent} bytes`);
        assert.ok(process.memoryUsage().heapUsed - heapBefore < 4 * MAX_REPLY_CHARS, 'held no more than the bound');
        await until('connected again', () => (server.connections >= 2 && client.online ? true : undefined));
      } finally {
        client.close();
        server.close();
      }
    },
  );
});

describe('another program on the daemon’s port', () => {
  for (const [what, greeting] of [
    ['an SSH server', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'],
    ['an MPD', 'OK MPD 0.23.5\n'],
    ['a web server', 'HTTP/1.1 400 Bad Request\r\n\r\n'],
  ] as const) {
    it(`${what} is said to be not streamd, once over its reconnects`, { timeout: 20_000 }, async () => {
      const other = await fakeDaemon(() => '', greeting);
      const client = new DaemonClient({ host: '127.0.0.1', port: other.port, name: 'x' });
      const warnings: string[] = [];
      client.on('warning', (text: string) => warnings.push(text));
      try {
        client.start();
        await until('three tries', () => (other.connections >= 3 ? true : undefined), 15_000);
        assert.equal(warnings.length, 1, warnings.join('\n'));
        const said = greeting.split(/\r?\n/)[0] ?? '';
        assert.ok(
          warnings[0]?.includes(`127.0.0.1:${other.port} answers, but not as streamd (it said '${said}')`),
          warnings[0],
        );
        assert.equal(client.online, false);
      } finally {
        client.close();
        other.close();
      }
    });
  }
});
