/**
 * Several music folders (config `music` as a list, `--music` given again): one library whose
 * paths start with each folder's name, downloads and the folder watch in each; two folders of
 * one name refused with a clear error; the list kept in the config file by `streamd config`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { Catalog } from '../../daemon/catalog/catalog.js';
import { silentLogger } from '../../daemon/log.js';
import { TestClient } from '../helpers/client.js';
import { freePort, sandbox } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-folders-'));
const spec = { title: 'x', seconds: 1, bpm: 120, root: 60, minor: false, seed: 3 };
const song = (seed: number): Buffer => encodeMp3(synthesize({ ...spec, seed }, 44100, 2), 128);
const jazz = path.join(work, 'disk1', 'Jazz');
const rock = path.join(work, 'disk2', 'Rock');
mkdirSync(path.join(jazz, 'Artist'), { recursive: true });
mkdirSync(rock, { recursive: true });
writeFileSync(path.join(jazz, 'Artist', 'a.mp3'), song(1));
writeFileSync(path.join(rock, 'b.mp3'), song(2));
writeFileSync(path.join(rock, 'same.mp3'), song(3));
writeFileSync(path.join(jazz, 'same.mp3'), song(4));

let daemon: TestDaemon;
let client: TestClient;

before(async () => {
  daemon = await startTestDaemon([jazz, rock]);
  ({ client } = await TestClient.connect(daemon.port));
});
after(async () => {
  client.close();
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

const files = async (): Promise<string[]> =>
  (await client.command('lista')).fields.filter(([key]) => key === 'file').map(([, value]) => value);

describe('several music folders', () => {
  it("are one library, each song's path starting with its folder's name", async () => {
    assert.deepEqual(await files(), ['Jazz/Artist/a.mp3', 'Jazz/same.mp3', 'Rock/b.mp3', 'Rock/same.mp3']);
    const download = await client.command('download', 'Rock/b.mp3');
    assert.ok(download.trackEnd, download.text);
    assert.ok(readFileSync(path.join(rock, 'b.mp3')).includes(download.blocks[0]?.data as Buffer));
    // One name in both folders: the file name alone is ambiguous, the path is not.
    assert.equal((await client.command('download', 'same')).code, 'ambiguous');
    assert.equal((await client.command('header', 'Jazz/same.mp3')).ok, true);
  });

  it('are each watched: a file added to the second shows', async () => {
    daemon.catalog.watch();
    writeFileSync(path.join(rock, 'new.mp3'), song(5));
    await until('the new song', async () => (await files()).includes('Rock/new.mp3') || undefined);
  });

  it('are kept in the stored catalog, each song where its folder is', async () => {
    const store = path.join(work, 'catalog.json');
    const first = new Catalog([jazz, rock], store, silentLogger);
    await first.open();
    await first.close();
    const kept = JSON.parse(readFileSync(store, 'utf8')) as { root: string; songs: Array<{ path?: string }> };
    assert.equal(kept.root, `Jazz=${jazz}\nRock=${rock}`);
    assert.ok(
      kept.songs.every((stored) => stored.path === undefined),
      'each path follows from its folder',
    );
    const second = new Catalog([jazz, rock], store, silentLogger);
    await second.open();
    const where = Object.fromEntries(second.songs().map((s) => [s.info.file, s.path]));
    assert.equal(where['Jazz/Artist/a.mp3'], path.join(jazz, 'Artist', 'a.mp3'));
    assert.equal(where['Rock/same.mp3'], path.join(rock, 'same.mp3'));
    assert.deepEqual(
      second.songs().map((s) => s.info.id),
      first.songs().map((s) => s.info.id),
    );
    await second.close();
  });
});

describe('streamd with several music folders', () => {
  it('refuses two folders of one name, saying which', async () => {
    const box = sandbox();
    try {
      const other = path.join(work, 'disk3', 'Jazz');
      mkdirSync(other, { recursive: true });
      const run = box.streamd(['run', '--music', jazz, '--music', other, '--state-dir', box.stateDir, '--port', '0']);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /have one name, 'Jazz'/);
    } finally {
      box.cleanup();
    }
  });

  it('keeps the list in its config file, and serves both from it', { timeout: 60_000 }, async () => {
    const box = sandbox();
    try {
      const config = path.join(box.home, '.config', 'streamd', 'config.json');
      const written = box.streamd(['config', '--music', jazz, '--music', rock]);
      assert.equal(written.code, 0, written.stderr);
      assert.deepEqual((JSON.parse(readFileSync(config, 'utf8')) as { music: string[] }).music, [jazz, rock]);
      const port = await freePort();
      const child = box.spawnRun(['--state-dir', box.stateDir, '--port', String(port)]);
      let log = '';
      child.stderr?.on('data', (chunk) => (log += chunk));
      try {
        await until('the daemon', () => /library: \d+ songs/.test(log) || undefined);
        const { client: other } = await TestClient.connect(port);
        const list = (await other.command('lista')).fields.filter(([key]) => key === 'file').map(([, v]) => v);
        assert.ok(list.includes('Jazz/Artist/a.mp3') && list.includes('Rock/b.mp3'), list.join(', '));
        other.close();
      } finally {
        child.kill();
      }
    } finally {
      box.cleanup();
    }
  });
});
