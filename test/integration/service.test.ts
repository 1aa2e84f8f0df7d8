import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { records, TestClient } from '../helpers/client.js';
import { freePort, sandbox, type Sandbox } from '../helpers/cli.js';
import { until } from '../helpers/log-capture.js';
import { parseStatsMap } from '../../common/protocol/replies.js';
import { isAlive } from '../../daemon/service.js';

/** The repository (the tests run from dist/test/integration). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let library: FixtureLibrary;
/** The pid file's first line is the pid (the second, the address the daemon listens on). */
const pidIn = (box: Sandbox): number =>
  Number.parseInt(readFileSync(path.join(box.stateDir, 'streamd.pid'), 'utf8'), 10);
before(() => {
  library = makeFixtureLibrary();
});
after(() => library.cleanup());

describe('streamd start / status / stop / restart', () => {
  let box: Sandbox;
  let args: string[];
  before(async () => {
    box = sandbox();
    args = ['--music', library.root, '--state-dir', box.stateDir, '--port', String(await freePort())];
  });
  after(() => box.cleanup());

  it('is not running before start: status exits 3', () => {
    const status = box.streamd(['status', ...args]);
    assert.equal(status.code, 3);
    assert.match(status.stdout, /not running/);
  });

  it('starts in the background, returns, writes pid and log files, and answers', async () => {
    const started = box.streamd(['start', ...args]);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /streamd started \(pid \d+\)/);
    const pid = pidIn(box);
    assert.ok(isAlive(pid));
    assert.match(readFileSync(path.join(box.stateDir, 'streamd.log'), 'utf8'), /listening on 127\.0\.0\.1:/);
    const status = box.streamd(['status', ...args]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, new RegExp(`running \\(pid ${pid}\\)`));
    assert.match(
      status.stdout,
      /^radio idle: 0 listeners; udp: \d+ datagrams sent, 0 rejected, 0 malformed, 0 song streams$/m,
      'the UDP counters',
    );
    assert.match(
      status.stdout,
      /^event loop delay over the last minute: p99 \d+\.\d ms, worst \d+\.\d ms$/m,
      'the event loop',
    );
    const port = Number(args[args.length - 1]);
    const withoutPort = box.streamd(['status', '--state-dir', box.stateDir]);
    assert.match(
      withoutPort.stdout,
      new RegExp(`on 127\\.0\\.0\\.1:${port}$`, 'm'),
      'the address the daemon listens on, not the default',
    );
    const { client } = await TestClient.connect(port);
    await until('the catalog', async () => records(await client.line('lista'), 'song').length > 5 || undefined);
    client.close();
  });

  it('leaves a running daemon alone on a second start', () => {
    const pid = pidIn(box);
    const again = box.streamd(['start', ...args]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`already running \\(pid ${pid}\\)`));
    assert.ok(isAlive(pid));
    assert.equal(pidIn(box), pid);
  });

  it('restarts with a new process', () => {
    const before = pidIn(box);
    const restarted = box.streamd(['restart', ...args]);
    assert.equal(restarted.code, 0, restarted.stderr);
    const after = pidIn(box);
    assert.notEqual(after, before);
    assert.equal(isAlive(before), false);
    assert.ok(isAlive(after));
  });

  it('stops, removing the pid file', () => {
    const pid = pidIn(box);
    const stopped = box.streamd(['stop', ...args]);
    assert.equal(stopped.code, 0);
    assert.match(stopped.stdout, /stopped/);
    assert.equal(isAlive(pid), false);
    assert.equal(existsSync(path.join(box.stateDir, 'streamd.pid')), false);
    assert.equal(box.streamd(['status', ...args]).code, 3);
  });

  it('treats a stale pid file after a crash as not running, and starts over it', () => {
    const started = box.streamd(['start', ...args]);
    assert.equal(started.code, 0);
    const pid = pidIn(box);
    process.kill(pid, 'SIGKILL');
    return until('the kill', () => !isAlive(pid) || undefined).then(() => {
      assert.equal(box.streamd(['status', ...args]).code, 3);
      writeFileSync(path.join(box.stateDir, 'streamd.pid'), `${process.pid}\n`); // alive, but not streamd
      assert.equal(box.streamd(['status', ...args]).code, 3);
      writeFileSync(path.join(box.stateDir, 'streamd.pid'), 'garbage');
      const again = box.streamd(['start', ...args]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(box.streamd(['status', ...args]).code, 0);
      assert.equal(box.streamd(['stop', ...args]).code, 0);
    });
  });
});

describe('streamd run', () => {
  it('on SIGTERM ends a download in progress with ERR shutting_down and exits within 5 s', async () => {
    const box = sandbox();
    try {
      const port = await freePort();
      const child = box.spawnRun(['--music', library.root, '--state-dir', box.stateDir, '--port', String(port)]);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      let log = '';
      child.stderr?.on('data', (chunk) => (log += chunk));
      await until('the daemon', () => /library: \d+ songs/.test(log) || undefined);
      const { client } = await TestClient.connect(port);
      const idle = (await TestClient.connect(port)).client;
      client.socket.pause();
      client.send('download "wav/code-16bit.wav"\n');
      await until(
        'the download running',
        async () =>
          (await idle.command('stats')).fields.some(([key, value]) => key === 'downloads_active' && value === '1') ||
          undefined,
      );
      const t0 = Date.now();
      child.kill('SIGTERM');
      client.socket.resume();
      const response = await client.next();
      assert.equal(response.trackStart, true);
      assert.equal(response.code, 'shutting_down');
      await client.closed;
      await idle.closed;
      assert.equal(await exited, 0);
      assert.ok(Date.now() - t0 < 5000);
      assert.match(log, /SIGTERM: stopping/);
    } finally {
      box.cleanup();
    }
  });

  it('stops at start-up on a bad setting, naming the field', async () => {
    const box = sandbox();
    try {
      const config = path.join(box.home, 'streamd.json');
      const cases: Array<[string[], RegExp]> = [
        [['--port', '99999'], /`port` must be <= 65535/],
        [['--port', 'abc'], /`port` must be integer/],
        [['--max-connections', '0'], /`max_connections` must be >= 1/],
        [['--log-level', 'loud'], /`log_level` must be equal to one of the allowed values/],
        [['--music', path.join(box.home, 'nope')], /music folder .* does not exist/],
        [['--config', path.join(box.home, 'missing.json')], /config file .* does not exist/],
      ];
      for (const [extra, message] of cases) {
        const result = box.streamd(['run', '--state-dir', box.stateDir, ...extra]);
        assert.equal(result.code, 1, extra.join(' '));
        assert.match(result.stderr, message);
      }
      writeFileSync(config, JSON.stringify({ connection_timeout: -1 }));
      assert.match(box.streamd(['run', '--config', config]).stderr, /`connection_timeout` must be > 0/);
      writeFileSync(config, JSON.stringify({ prot: 9090 }));
      assert.match(box.streamd(['run', '--config', config]).stderr, /unknown setting 'prot'/);
      writeFileSync(config, '{ not json');
      assert.match(box.streamd(['run', '--config', config]).stderr, /config file/);
      assert.equal(box.streamd(['bogus']).code, 2);
    } finally {
      box.cleanup();
    }
  });

  it('reads the config file, with command-line options over it', async () => {
    const box = sandbox();
    try {
      const port = await freePort();
      const config = path.join(box.home, 'streamd.json');
      const settings = {
        '// note': 'comments are keys that start with //',
        music: library.root,
        port: 1,
        state_dir: 'state',
        password: 'pw',
      };
      // A file with a password that others can read is refused, as ssh refuses such a key.
      writeFileSync(config, JSON.stringify(settings), { mode: 0o644 });
      chmodSync(config, 0o644);
      const refused = box.streamd(['run', '--config', config]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /holds a password and is readable by others \(mode 644\): chmod 600 /);
      chmodSync(config, 0o600);
      const child = box.spawnRun(['--config', config, '--port', String(port)]);
      let log = '';
      child.stderr?.on('data', (chunk) => (log += chunk));
      await until('the daemon', () => /library: \d+ songs/.test(log) || undefined);
      const { client } = await TestClient.connect(port);
      assert.equal((await client.line('lista')).code, 'permission');
      assert.equal((await client.line('password pw')).ok, true);
      // state_dir is relative to the config file (the catalog is saved just after it is logged).
      await until(
        'catalog.json in the state dir next to the config file',
        () => existsSync(path.join(box.home, 'state', 'catalog.json')) || undefined,
      );
      client.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    } finally {
      box.cleanup();
    }
  });

  it('in the background, caps its log and rotates it, keeping the files it is told to; a password guesser cannot fill the disk', async () => {
    const box = sandbox();
    try {
      const port = await freePort();
      const config = path.join(box.home, 'streamd.json');
      writeFileSync(
        config,
        JSON.stringify({ music: library.root, password: 'pw', log_max_bytes: 4096, log_files_kept: 2 }),
        { mode: 0o600 },
      );
      const args = ['--config', config, '--state-dir', box.stateDir, '--port', String(port)];
      assert.equal(box.streamd(['start', ...args]).code, 0);
      try {
        // Each wrong password is a line in the log (for fail2ban): 200 of them, about 14 KB, 20 at a
        // time (each answer waits 250 ms; the daemon takes 32 connections from one address).
        for (let round = 0; round < 10; round++) {
          await Promise.all(
            Array.from({ length: 20 }, async (_, i) => {
              const { client } = await TestClient.connect(port);
              await client.line(`password guess${round}-${i}`);
              client.close();
            }),
          );
        }
        const log = path.join(box.stateDir, 'streamd.log');
        const files = [log, `${log}.1`, `${log}.2`];
        await until('the last guess logged', () => readFileSync(log, 'utf8').includes('password refused') || undefined);
        for (const file of files) {
          const size = statSync(file).size;
          assert.ok(size > 0 && size <= 4096, `${path.basename(file)}: ${size} bytes`);
          assert.match(readFileSync(file, 'utf8'), /\n$/, 'whole lines only');
        }
        assert.equal(existsSync(`${log}.3`), false, 'two rotated files kept, no more');
        assert.equal(
          readFileSync(path.join(box.stateDir, 'streamd.stderr'), 'utf8'),
          '',
          'nothing on stderr but a crash',
        );
      } finally {
        box.streamd(['stop', ...args]);
      }
      assert.match(
        readFileSync(path.join(box.stateDir, 'streamd.log'), 'utf8'),
        /stopped\n$/,
        'the last line before exit is kept',
      );
    } finally {
      box.cleanup();
    }
  });

  it('status shows each Icecast target with its state', async () => {
    const box = sandbox();
    try {
      const nowhere = `http://source:pw@127.0.0.1:${await freePort()}/streamd.mp3`;
      const args = [
        '--music',
        library.root,
        '--state-dir',
        box.stateDir,
        '--port',
        String(await freePort()),
        '--icecast-url',
        nowhere,
      ];
      assert.equal(box.streamd(['start', ...args]).code, 0);
      try {
        const line = await until(
          'the target in status',
          () =>
            /^icecast http:\/\/127\.0\.0\.1:\d+\/streamd\.mp3 retrying in \d+ s \(connect ECONNREFUSED [^)]*\)$/m.exec(
              box.streamd(['status', ...args]).stdout,
            )?.[0],
        );
        assert.ok(!line.includes('pw'), 'no password shown');
      } finally {
        box.streamd(['stop', ...args]);
      }
    } finally {
      box.cleanup();
    }
  });

  it('with no music configured, generates the demo library and serves it', async () => {
    const box = sandbox();
    try {
      const port = await freePort();
      const started = box.streamd(['start', '--port', String(port)]);
      assert.equal(started.code, 0, started.stderr);
      const { client } = await TestClient.connect(port);
      // The songs are made in a worker thread: the daemon answers meanwhile and says how far it is.
      const seen = new Set<string>();
      const songs = await until(
        'the demo library',
        async () => {
          const stats = parseStatsMap((await client.line('stats')).fields);
          if (stats.has('demo_songs_done'))
            seen.add(`${stats.get('demo_songs_done')}/${stats.get('demo_songs_total')}`);
          const list = records(await client.line('lista'), 'song');
          return list.length === 4 ? list : undefined;
        },
        60_000,
      );
      assert.ok(
        [...seen].some((progress) => /^[0-3]\/4$/.test(progress)),
        `the making told while it ran: ${[...seen].join(', ')}`,
      );
      assert.deepEqual(
        songs.map((s) => s.get('format')),
        ['mp3', 'mp3', 'mp3', 'wav'],
      );
      for (const song of songs) {
        const seconds = Number(song.get('duration'));
        assert.ok(seconds >= 45 && seconds <= 100, `${song.get('file')} lasts ${seconds} s`);
      }
      assert.equal(songs[0]?.get('artist'), 'The Demo Oscillators');
      const download = await client.command('download', songs[0]?.get('song') as string);
      assert.equal(download.ok, true);
      client.close();
      const log = readFileSync(path.join(box.env['XDG_STATE_HOME'] as string, 'streamd', 'streamd.log'), 'utf8');
      assert.match(log, /generated a demo library of 4 songs/);
      assert.equal(box.streamd(['stop']).code, 0);
    } finally {
      box.cleanup();
    }
  });
});

describe('contrib/ units', () => {
  const units: Array<[file: string, instance: string]> = [
    ['streamd.service', 'streamd.service'],
    ['streamtui-headless@.service', 'streamtui-headless@kitchen.service'],
  ];
  for (const [file, instance] of units)
    it(`${file} passes systemd-analyze verify, with its command installed where systemd looks for it`, () => {
      // A root of its own: the unit, systemd's own units it depends on, streamd and streamtui in /usr/local/bin.
      const root = mkdtempSync(path.join(os.tmpdir(), 'streamd-unit-'));
      try {
        mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
        mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
        mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true });
        cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), {
          recursive: true,
          verbatimSymlinks: true,
        });
        for (const command of ['streamd', 'streamtui'])
          writeFileSync(path.join(root, 'usr/local/bin', command), '#!/bin/sh\n', { mode: 0o755 });
        cpSync(path.join(REPO, 'contrib', file), path.join(root, 'etc/systemd/system', file));
        const verify = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', instance], {
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.equal(verify.error, undefined, 'systemd-analyze runs (the systemd package)');
        assert.equal(verify.status, 0, verify.stderr);
        assert.equal(verify.stderr.trim(), '', 'no warnings (an unknown key is only a warning)');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
});

describe('a port another program holds', () => {
  for (const protocol of ['tcp', 'udp'] as const) {
    it(`streamd run says which ${protocol.toUpperCase()} port is taken and by what, with no stack trace`, async () => {
      const box = sandbox();
      const port = await freePort();
      const holder =
        protocol === 'tcp'
          ? await new Promise<{ close(): void }>((resolve) => {
              const server = net.createServer().listen(port, '127.0.0.1', () => resolve(server));
            })
          : await new Promise<{ close(): void }>((resolve) => {
              const socket = dgram.createSocket('udp4');
              socket.bind(port, '127.0.0.1', () => resolve(socket));
            });
      try {
        const library = makeFixtureLibrary();
        const flags =
          protocol === 'tcp'
            ? ['--port', String(port)]
            : ['--port', String(await freePort()), '--udp-port', String(port)];
        const child = box.spawnRun(['--music', library.root, '--state-dir', box.stateDir, ...flags]);
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        library.cleanup();
        assert.equal(code, 1);
        assert.match(
          stderr,
          new RegExp(
            `the ${protocol.toUpperCase()} port ${port} on 127\\.0\\.0\\.1 is in use by node \\(pid ${process.pid}\\): stop it, or give streamd another`,
          ),
        );
        assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
      } finally {
        holder.close();
        box.cleanup();
      }
    });
  }
});

describe('streamd config', () => {
  it('writes the options given into the config file, so that the next start serves them without them', async () => {
    const box = sandbox();
    try {
      const port = await freePort();
      const told = box.streamd([
        'config',
        '--music',
        library.root,
        '--port',
        String(port),
        '--state-dir',
        box.stateDir,
      ]);
      assert.equal(told.code, 0, told.stderr);
      const file = path.join(box.home, '.config', 'streamd', 'config.json');
      assert.match(told.stdout, new RegExp(`written to ${file.replace(/[.]/g, '\\.')}`));
      assert.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner alone');
      // A start with no options: the music configured, not the demo library.
      const started = box.streamd(['start']);
      assert.equal(started.code, 0, started.stderr);
      const { client } = await TestClient.connect(port);
      // The start returns before the scan ends: wait for the configured library's songs.
      const listed = async (): Promise<string[]> =>
        records(await client.line('lista'), 'song').map((song) => song.get('file') ?? '');
      await until('the configured library', async () => (await listed()).includes('lamejs-cbr.mp3') || undefined);
      assert.ok(!(await listed()).includes('01 Morning Ferry.mp3'), 'not the demo library');
      client.close();
      const shown = box.streamd(['config']);
      assert.match(shown.stdout, new RegExp(`music: ${library.root.replace(/[.]/g, '\\.')}`));
      const bad = box.streamd(['config', '--port', 'x']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /port/);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`"port": ${port}`), 'a refused value writes nothing');
    } finally {
      box.cleanup();
    }
  });
});
