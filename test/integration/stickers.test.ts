/**
 * Stickers (docs/protocol.md, Stickers) over real TCP: MPD's sticker commands, `played` and
 * `stickers`, `idle sticker`; hostile names and values; a file renamed, moved and retagged keeps
 * its stickers; and the real `streamd run` killed with SIGKILL in a burst of writes keeps every
 * change it answered and reads its store back whole.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { id3v2Tag } from '../../daemon/demo/id3-writer.js';
import { TestClient, type Response } from '../helpers/client.js';
import { freePort, sandbox } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';

const library = mkdtempSync(path.join(os.tmpdir(), 'streamd-stickers-'));
const spec = { title: 'x', seconds: 2, bpm: 120, root: 60, minor: false, seed: 3 };
const song = (seed: number): Buffer => encodeMp3(synthesize({ ...spec, seed }, 44100, 2), 128);
writeFileSync(path.join(library, 'a.mp3'), song(3));
writeFileSync(path.join(library, 'b.mp3'), song(4));
mkdirSync(path.join(library, 'Album'));
writeFileSync(path.join(library, 'Album', 'c.mp3'), song(5));

let daemon: TestDaemon;
const open: TestClient[] = [];

async function connect(port = daemon.port): Promise<TestClient> {
  const { client } = await TestClient.connect(port);
  open.push(client);
  return client;
}

const values = (response: Response, key: string): string[] =>
  response.fields.filter(([k]) => k === key).map(([, v]) => v);

before(async () => {
  daemon = await startTestDaemon(library);
});
after(async () => {
  for (const client of open) client.close();
  await daemon.stop();
  rmSync(library, { recursive: true, force: true });
});

describe('stickers', () => {
  it('are set, read, listed, found and deleted as with MPD', async () => {
    const client = await connect();
    assert.equal((await client.command('sticker', 'set', 'song', 'a.mp3', 'rating', '4')).ok, true);
    assert.equal((await client.command('sticker', 'set', 'song', 'a', 'favorite', '2026-12-05T21:30:00Z')).ok, true);
    assert.equal((await client.command('sticker', 'set', 'song', 'Album/c.mp3', 'rating', '2')).ok, true);
    assert.equal((await client.command('sticker', 'set', 'song', 'a.mp3', 'mood', 'rainy day')).ok, true);
    assert.deepEqual(values(await client.command('sticker', 'get', 'song', 'a.mp3', 'rating'), 'sticker'), [
      'rating=4',
    ]);
    assert.deepEqual(values(await client.command('sticker', 'list', 'song', 'a.mp3'), 'sticker'), [
      'rating=4',
      'favorite=2026-12-05T21:30:00Z',
      'mood=rainy day',
    ]);
    const everywhere = await client.command('sticker', 'find', 'song', '', 'rating');
    assert.deepEqual(everywhere.fields, [
      ['file', 'Album/c.mp3'],
      ['sticker', 'rating=2'],
      ['file', 'a.mp3'],
      ['sticker', 'rating=4'],
    ]);
    assert.deepEqual(values(await client.command('sticker', 'find', 'song', 'Album', 'rating'), 'file'), [
      'Album/c.mp3',
    ]);
    assert.equal((await client.command('sticker', 'delete', 'song', 'a.mp3', 'mood')).ok, true);
    const gone = await client.command('sticker', 'get', 'song', 'a.mp3', 'mood');
    assert.equal(gone.code, 'not_found');
    const ids = new Map(
      (await client.command('lista')).fields.filter(([k]) => k === 'song').map(([, id], k) => [id, k]),
    );
    const all = await client.command('stickers');
    assert.deepEqual(
      all.fields.filter(([k]) => k === 'sticker').map(([, v]) => v),
      ['rating=2', 'rating=4', 'favorite=2026-12-05T21:30:00Z'],
    );
    assert.ok(values(all, 'song').every((id) => ids.has(id)));
    assert.equal((await client.command('sticker', 'delete', 'song', 'Album/c.mp3')).ok, true);
    assert.deepEqual((await client.command('sticker', 'list', 'song', 'Album/c.mp3')).fields, []);
  });

  it('refuse bad names, values, songs and path tricks with a clear error, and keep what they had', async () => {
    const client = await connect();
    await client.command('sticker', 'set', 'song', 'b.mp3', 'rating', '3');
    const refused: Array<[string[], string]> = [
      [['set', 'song', 'b.mp3', 'rating', '6'], 'bad_argument'],
      [['set', 'song', 'b.mp3', 'rating', '0'], 'bad_argument'],
      [['set', 'song', 'b.mp3', 'playcount', '-1'], 'bad_argument'],
      [['set', 'song', 'b.mp3', 'favorite', 'yesterday'], 'bad_argument'],
      [['set', 'song', 'b.mp3', 'Bad Name', 'x'], 'bad_argument'],
      [['set', 'song', 'b.mp3', 'note', 'x'.repeat(300)], 'bad_argument'],
      [['set', 'song', 'b.mp3', 'note', 'a\tb'], 'bad_argument'],
      [['set', 'album', 'b.mp3', 'rating', '3'], 'bad_argument'],
      [['set', 'song', '../b.mp3', 'rating', '3'], 'not_found'],
      [['set', 'song', '/etc/passwd', 'rating', '3'], 'not_found'],
      [['get', 'song', 'nothing.mp3', 'rating'], 'not_found'],
      [['delete', 'song', 'b.mp3', 'never'], 'not_found'],
    ];
    for (const [args, code] of refused) {
      const answer = await client.command('sticker', ...args);
      assert.equal(answer.code, code, `sticker ${args.join(' ')}: ${answer.text}`);
      assert.ok(answer.text.length > 10, answer.text);
    }
    for (let k = 0; k < 15; k++) assert.ok((await client.command('sticker', 'set', 'song', 'b.mp3', `n${k}`, 'x')).ok);
    const full = await client.command('sticker', 'set', 'song', 'b.mp3', 'n15', 'x');
    assert.equal(full.code, 'bad_argument', full.text);
    assert.deepEqual(values(await client.command('sticker', 'get', 'song', 'b.mp3', 'rating'), 'sticker'), [
      'rating=3',
    ]);
    assert.equal((await client.command('sticker', 'delete', 'song', 'b.mp3')).ok, true);
  });

  it('count plays with `played`, and wake `idle sticker` on another connection', async () => {
    const watcher = await connect();
    const client = await connect();
    watcher.send('idle sticker\n');
    const before = Date.now();
    const first = await client.command('played', 'b.mp3');
    const second = await client.command('played', 'b.mp3');
    assert.deepEqual(values(first, 'sticker')[0], 'playcount=1');
    assert.deepEqual(values(second, 'sticker')[0], 'playcount=2');
    const last = Date.parse((values(second, 'sticker')[1] as string).replace('lastplayed=', ''));
    assert.ok(last >= Math.floor(before / 1000) * 1000 && last <= Date.now(), String(last));
    assert.deepEqual((await watcher.next()).fields, [['changed', 'sticker']]);
  });

  it('follow a file renamed, moved to another folder and tagged anew (its audio is the same)', async () => {
    const client = await connect();
    await client.command('sticker', 'set', 'song', 'Album/c.mp3', 'rating', '5');
    mkdirSync(path.join(library, 'Elsewhere'));
    const tagged = Buffer.concat([
      id3v2Tag({ title: 'New Title', artist: 'Someone' }),
      readFileSync(path.join(library, 'Album', 'c.mp3')),
    ]);
    writeFileSync(path.join(library, 'Elsewhere', 'renamed.mp3'), tagged);
    rmSync(path.join(library, 'Album', 'c.mp3'));
    await daemon.catalog.scan();
    const list = await client.command('lista');
    assert.ok(list.fields.some(([k, v]) => k === 'title' && v === 'New Title'));
    assert.deepEqual(
      values(await client.command('sticker', 'get', 'song', 'Elsewhere/renamed.mp3', 'rating'), 'sticker'),
      ['rating=5'],
    );
    renameSync(path.join(library, 'Elsewhere', 'renamed.mp3'), path.join(library, 'moved.mp3'));
    await daemon.catalog.scan();
    assert.deepEqual(values(await client.command('sticker', 'get', 'song', 'moved', 'rating'), 'sticker'), [
      'rating=5',
    ]);
    // Other audio under the old name does not inherit them.
    writeFileSync(path.join(library, 'Album', 'c.mp3'), song(9));
    await daemon.catalog.scan();
    assert.deepEqual((await client.command('sticker', 'list', 'song', 'Album/c.mp3')).fields, []);
  });
});

describe('the sticker store', () => {
  it(
    'keeps every change the daemon answered when the daemon is killed in a burst of writes',
    { timeout: 120_000 },
    async () => {
      const box = sandbox();
      const music = path.join(box.home, 'music');
      mkdirSync(music, { recursive: true });
      for (const name of ['a', 'b', 'c']) writeFileSync(path.join(music, `${name}.mp3`), song(name.charCodeAt(0)));
      const port = await freePort();
      const args = ['--music', music, '--state-dir', box.stateDir, '--port', String(port), '--no-measure-loudness'];
      const start = async (): Promise<{ kill(): Promise<void>; log: () => string }> => {
        const child = box.spawnRun(args);
        let log = '';
        child.stderr?.on('data', (chunk) => (log += chunk));
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await until('the daemon', () => /library: \d+ songs/.test(log) || undefined);
        return {
          log: () => log,
          async kill() {
            child.kill('SIGKILL');
            await exited;
          },
        };
      };
      try {
        // Three connections each play their song 1,500 times, pipelined; the kill comes past the
        // first compaction of the journal (2,000 lines).
        const first = await start();
        const answered = new Map<string, number>();
        const clients = await Promise.all(['a', 'b', 'c'].map(() => connect(port)));
        clients.forEach((client, k) => {
          const name = `${'abc'[k]}.mp3`;
          answered.set(name, 0);
          client.send(`played ${name}\n`.repeat(1500));
          void (async () => {
            for (;;) {
              const answer = await client.next().catch(() => undefined);
              if (!answer?.ok) return;
              answered.set(name, (answered.get(name) ?? 0) + 1);
            }
          })();
        });
        await until('2,100 plays answered', () => [...answered.values()].reduce((a, b) => a + b) >= 2100 || undefined);
        await first.kill();
        for (const client of clients) client.close();

        const second = await start();
        const client = await connect(port);
        for (const [name, count] of answered) {
          const kept = Number(
            values(await client.command('sticker', 'get', 'song', name, 'playcount'), 'sticker')[0]?.split('=')[1],
          );
          assert.ok(kept >= count, `${name}: ${kept} plays kept, ${count} answered`);
          assert.ok(kept <= 1500, `${name}: ${kept}`);
        }
        client.close();
        await second.kill();

        // A torn last line (a kill in the middle of a write) is dropped, and said; the rest is read.
        appendFileSync(path.join(box.stateDir, 'stickers.journal'), '{"k":"abc","s":{"rat');
        const third = await start();
        const again = await connect(port);
        assert.ok(
          Number(
            values(await again.command('sticker', 'get', 'song', 'a.mp3', 'playcount'), 'sticker')[0]?.split('=')[1],
          ) >= 1,
        );
        assert.match(third.log(), /cut off/);
        assert.ok((await again.command('played', 'a.mp3')).ok);
        again.close();
        await third.kill();
      } finally {
        box.cleanup();
      }
    },
  );
});
