/**
 * Stored playlists (docs/protocol.md, Stored playlists) over real TCP: MPD's commands, `idle
 * stored_playlist`, songs that left the library, hostile names, two clients adding at once; and
 * MPD itself reading what streamd wrote, and the reverse, from one playlist folder.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { TestClient, type Response } from '../helpers/client.js';
import { freePort } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const library = mkdtempSync(path.join(os.tmpdir(), 'streamd-playlists-'));
const spec = { title: 'x', seconds: 1, bpm: 120, root: 60, minor: false, seed: 3 };
for (const [k, name] of ['a.mp3', 'b.mp3', 'c.mp3', 'gone.mp3'].entries())
  writeFileSync(path.join(library, name), encodeMp3(synthesize({ ...spec, seed: k }, 44100, 2), 128));

let daemon: TestDaemon;
let playlistDir = '';
const open: TestClient[] = [];

async function connect(): Promise<TestClient> {
  const { client } = await TestClient.connect(daemon.port);
  open.push(client);
  return client;
}

const values = (response: Response, key: string): string[] =>
  response.fields.filter(([k]) => k === key).map(([, v]) => v);

before(async () => {
  daemon = await startTestDaemon(library);
  playlistDir = path.join(daemon.stateDir, 'playlists');
});
after(async () => {
  for (const client of open) client.close();
  await daemon.stop();
  rmSync(library, { recursive: true, force: true });
});

describe('stored playlists', () => {
  it('are saved, listed, shown, changed, renamed and removed with MPD names', async () => {
    const client = await connect();
    assert.ok((await client.command('save', 'Evening', 'a.mp3', 'c', 'b.mp3')).ok);
    assert.deepEqual(values(await client.command('listplaylists'), 'playlist'), ['Evening']);
    assert.deepEqual(values(await client.command('listplaylist', 'Evening'), 'file'), ['a.mp3', 'c.mp3', 'b.mp3']);
    assert.ok((await client.command('playlistadd', 'Evening', 'gone.mp3', 'a.mp3')).ok);
    assert.ok((await client.command('playlistmove', 'Evening', '0', '2')).ok);
    assert.ok((await client.command('playlistdelete', 'Evening', '4')).ok);
    assert.deepEqual(values(await client.command('listplaylist', 'Evening'), 'file'), [
      'c.mp3',
      'b.mp3',
      'a.mp3',
      'gone.mp3',
    ]);
    const text = readFileSync(path.join(playlistDir, 'Evening.m3u8'), 'utf8');
    assert.match(text, /^#EXTM3U\n#EXTINF:1,c\.mp3\nc\.mp3\n/);
    assert.ok((await client.command('rename', 'Evening', 'Late Evening')).ok);
    assert.deepEqual(values(await client.command('listplaylists'), 'playlist'), ['Late Evening']);
    assert.ok((await client.command('playlistadd', 'New', 'b')).ok); // playlistadd makes a new one
    assert.deepEqual(values(await client.command('listplaylist', 'New'), 'file'), ['b.mp3']);
    assert.ok((await client.command('playlistclear', 'New')).ok);
    assert.deepEqual((await client.command('listplaylist', 'New')).fields, []);
    assert.ok((await client.command('rm', 'New')).ok);
    assert.equal((await client.command('listplaylist', 'New')).code, 'not_found');
  });

  it('keep songs that left the library, shown as missing, and find them again when they come back', async () => {
    const client = await connect();
    const song = readFileSync(path.join(library, 'gone.mp3'));
    rmSync(path.join(library, 'gone.mp3'));
    await daemon.catalog.scan();
    const info = await client.command('listplaylistinfo', 'Late Evening');
    assert.deepEqual(values(info, 'pos'), ['0', '1', '2', '3']);
    assert.deepEqual(values(info, 'file'), ['c.mp3', 'b.mp3', 'a.mp3', 'gone.mp3']);
    assert.deepEqual(values(info, 'missing'), ['yes']);
    assert.equal(values(info, 'song').length, 3);
    assert.ok((await client.command('playlistmove', 'Late Evening', '3', '0')).ok); // kept through a change
    writeFileSync(path.join(library, 'gone.mp3'), song);
    await daemon.catalog.scan();
    const back = await client.command('listplaylistinfo', 'Late Evening');
    assert.deepEqual(values(back, 'missing'), []);
    assert.equal(values(back, 'file')[0], 'gone.mp3');
  });

  it('refuse hostile names and unknown songs with a clear error, and change nothing', async () => {
    const client = await connect();
    const before = readFileSync(path.join(playlistDir, 'Late Evening.m3u8'), 'utf8');
    const refused: Array<[string, string[], string]> = [
      ['save', ['../escape', 'a.mp3'], 'bad_argument'],
      ['save', ['a/b', 'a.mp3'], 'bad_argument'],
      ['save', ['.hidden', 'a.mp3'], 'bad_argument'],
      ['save', ['x'.repeat(300), 'a.mp3'], 'bad_argument'],
      ['save', ['line\u0001break', 'a.mp3'], 'bad_argument'],
      ['playlistadd', ['Late Evening', 'nothing.mp3'], 'not_found'],
      ['playlistadd', ['Late Evening', '/etc/passwd'], 'not_found'],
      ['playlistdelete', ['Late Evening', '99'], 'bad_argument'],
      ['playlistmove', ['Late Evening', '0', 'x'], 'bad_argument'],
      ['listplaylist', ['never'], 'not_found'],
      ['rename', ['Late Evening', 'Late Evening'], 'bad_argument'],
      ['rm', ['never'], 'not_found'],
    ];
    for (const [name, args, code] of refused) {
      const answer = await client.command(name, ...args);
      assert.equal(answer.code, code, `${name} ${args.join(' ')}: ${answer.text}`);
    }
    assert.equal(readFileSync(path.join(playlistDir, 'Late Evening.m3u8'), 'utf8'), before);
    assert.deepEqual(
      readdirSync(playlistDir).sort(),
      ['Late Evening.m3u8'],
      'no stray files, nothing outside the folder',
    );
  });

  it('take two clients adding at once (both kept), and wake `idle stored_playlist`', async () => {
    const watcher = await connect();
    watcher.send('idle stored_playlist\n');
    const [one, two] = [await connect(), await connect()];
    one.send('playlistadd Shared a.mp3\n'.repeat(50));
    two.send('playlistadd Shared b.mp3\n'.repeat(50));
    for (let k = 0; k < 50; k++) assert.ok((await one.next()).ok && (await two.next()).ok);
    const files = values(await one.command('listplaylist', 'Shared'), 'file');
    assert.equal(files.filter((file) => file === 'a.mp3').length, 50);
    assert.equal(files.filter((file) => file === 'b.mp3').length, 50);
    assert.deepEqual((await watcher.next()).fields, [['changed', 'stored_playlist']]);
    assert.ok((await one.command('rm', 'Shared')).ok);
  });
});

describe('MPD and streamd on one playlist folder', () => {
  it('each reads what the other wrote (streamd naming its files as MPD does)', { timeout: 60_000 }, async () => {
    const shared = await startTestDaemon(library, { playlistSuffix: '.m3u' });
    const playlistDir = path.join(shared.stateDir, 'playlists');
    const { client } = await TestClient.connect(shared.port);
    open.push(client);
    assert.ok((await client.command('save', 'From streamd', 'b.mp3', 'a.mp3')).ok);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mpd-playlists-'));
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'mpd.conf'),
      [
        `music_directory "${library}"`,
        `playlist_directory "${playlistDir}"`,
        `db_file "${dir}/db"`,
        `bind_to_address "127.0.0.1"`,
        `port "${port}"`,
        `audio_output {\n  type "null"\n  name "null"\n}`,
      ].join('\n') + '\n',
    );
    const mpd = spawn('mpd', ['--no-daemon', path.join(dir, 'mpd.conf')], { stdio: 'ignore' });
    const mpc = (...args: string[]): string =>
      execFileSync('mpc', ['-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      for (let k = 0; ; k++) {
        try {
          mpc('update', '--wait');
          break;
        } catch (error) {
          if (k > 200) throw error;
          await sleep(50);
        }
      }
      assert.deepEqual(mpc('-f', '%file%', 'playlist', 'From streamd').trim().split('\n'), ['b.mp3', 'a.mp3']);
      mpc('add', 'c.mp3');
      mpc('add', 'a.mp3');
      mpc('save', 'From MPD');
      assert.deepEqual(values(await client.command('listplaylist', 'From MPD'), 'file'), ['c.mp3', 'a.mp3']);
      assert.deepEqual(values(await client.command('listplaylistinfo', 'From MPD'), 'missing'), []);
      assert.deepEqual(values(await client.command('listplaylists'), 'playlist'), ['From MPD', 'From streamd']);
    } finally {
      mpd.kill();
      rmSync(dir, { recursive: true, force: true });
      client.close();
      await shared.stop();
    }
  });
});
