/**
 * The real `streamd` with the Subsonic API: users from the config file (which must then be
 * private), the port from `--http-port`, said by `status`; a port taken is named with its flag;
 * with no users the port stays closed.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, sandbox, type Sandbox } from '../helpers/cli.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';

let library: FixtureLibrary;
let box: Sandbox;
before(() => {
  library = makeFixtureLibrary();
  box = sandbox();
});
after(() => {
  box.cleanup();
  library.cleanup();
});

const ping = async (port: number): Promise<string> =>
  (await fetch(`http://127.0.0.1:${port}/rest/ping?u=alice&p=pw&v=1.16.1&c=t&f=json`).then((r) => r.json()))[
    'subsonic-response'
  ].status as string;

describe('streamd with the Subsonic API', () => {
  it('takes its users from a private config file and says its port in status', async () => {
    const config = path.join(box.home, 'streamd.json');
    writeFileSync(config, JSON.stringify({ music: library.root, users: [{ name: 'alice', password: 'pw' }] }));
    chmodSync(config, 0o644);
    const refused = box.streamd(['run', '--config', config]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /holds a password and is readable by others \(mode 644\): chmod 600 /);
    chmodSync(config, 0o600);
    const [port, httpPort] = [await freePort(), await freePort()];
    const args = ['--config', config, '--state-dir', box.stateDir, '--port', String(port)];
    const child = box.spawnRun([...args, '--http-port', String(httpPort)]);
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await until('the daemon', () => /library: \d+ songs/.test(log) || undefined);
      assert.match(log, new RegExp(`Subsonic API on HTTP port ${httpPort}`));
      assert.equal(await ping(httpPort), 'ok');
      const status = box.streamd(['status', ...args]);
      assert.match(status.stdout, new RegExp(`subsonic api: http port ${httpPort}, 0 songs being sent`));
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('names the HTTP port and its flag when another program has it', async () => {
    const httpPort = await freePort();
    const holder = await new Promise<net.Server>((resolve) => {
      const server = net.createServer().listen(httpPort, '127.0.0.1', () => resolve(server));
    });
    try {
      const config = path.join(box.home, 'taken.json');
      writeFileSync(config, JSON.stringify({ users: [{ name: 'alice', password: 'pw' }] }), { mode: 0o600 });
      const child = box.spawnRun([
        '--config',
        config,
        '--music',
        library.root,
        '--state-dir',
        box.stateDir,
        '--port',
        String(await freePort()),
        '--http-port',
        String(httpPort),
      ]);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 1);
      assert.match(
        stderr,
        new RegExp(
          `the HTTP port ${httpPort} on 127\\.0\\.0\\.1 is in use by node \\(pid ${process.pid}\\): stop it, or give streamd another \\(--http-port N`,
        ),
      );
    } finally {
      holder.close();
    }
  });

  it('opens no HTTP port without users', async () => {
    const [port, httpPort] = [await freePort(), await freePort()];
    const args = ['--music', library.root, '--state-dir', box.stateDir, '--port', String(port)];
    const child = box.spawnRun([...args, '--http-port', String(httpPort)]);
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await until('the daemon', () => /library: \d+ songs/.test(log) || undefined);
      assert.doesNotMatch(log, /Subsonic API/);
      await assert.rejects(fetch(`http://127.0.0.1:${httpPort}/rest/ping`));
      assert.match(box.streamd(['status', ...args]).stdout, /subsonic api: off/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
