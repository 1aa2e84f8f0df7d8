/**
 * Scaled covers kept on disk (scaled-store.ts) and made ahead of being asked (picture-scaler.ts's
 * makeAhead, the daemon's pass after a scan): read back by a new picture process instead of scaled
 * again, never stale when a cover file is replaced, bounded, and never the cause of a lost cover (a
 * broken picture in the store, a store that cannot be written, a write cut short).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PictureScaler } from '../../daemon/artwork/picture-scaler.js';
import { type ScaledKey, ScaledStore } from '../../daemon/artwork/scaled-store.js';
import type { Logger } from '../../daemon/log.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { testPicture } from '../helpers/fixtures.js';

let work: string;
const said: string[] = [];
const log: Logger = {
  debug() {},
  info: (message) => void said.push(message),
  warn: (message) => void said.push(message),
  error: (message) => void said.push(message),
};

/** A cover by ffmpeg, its folder made. */
function makeCover(file: string, source: string, width: number, height: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  testPicture(width, height, file, source);
}

const dimensions = (data: Uint8Array): string => {
  const file = path.join(work, `probe-${process.hrtime.bigint()}`);
  writeFileSync(file, data);
  try {
    return execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file])
      .toString()
      .trim();
  } finally {
    rmSync(file);
  }
};

/** The store's pictures (not a write under way): name -> mtime. */
function kept(dir: string): Map<string, number> {
  const pictures = new Map<string, number>();
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (name.endsWith('.partial')) continue;
    const stats = statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (stats) pictures.set(name, stats.mtimeMs);
  }
  return pictures;
}

/** Once the scaler is closed: its process gone, and with it any picture it was still keeping after its reply. */
async function pictureProcessEnded(): Promise<void> {
  const children = (): string => readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim();
  while (children() !== '') await new Promise((resolve) => setTimeout(resolve, 20));
}

before(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'cover-store-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('the store of scaled covers', () => {
  const key = (n: number): ScaledKey => ({
    folder: '/m/a',
    name: 'cover.jpg',
    stamp: String(n),
    size: 300,
    mime: 'image/jpeg',
  });
  const jpeg = (bytes: number): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(bytes - 3, 7)]);

  it('keeps a picture under a name of what it was made from, and gives it back', () => {
    const dir = path.join(work, 'store-basic');
    const store = new ScaledStore(dir, 1 << 20);
    assert.equal(store.get(key(1)), undefined);
    assert.ok(store.put(key(1), jpeg(1000)));
    assert.deepEqual(store.get(key(1)), jpeg(1000));
    assert.equal(store.get(key(2)), undefined, 'another stamp: another picture');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(new ScaledStore(dir, 1 << 20).get(key(1)), jpeg(1000), 'read by another process later');
  });

  it('removes the oldest past its bound, down to nine tenths of it', () => {
    const dir = path.join(work, 'store-bound');
    const store = new ScaledStore(dir, 10_000);
    for (let i = 1; i <= 10; i++) assert.ok(store.put(key(i), jpeg(1000)));
    assert.ok(!store.wouldEvict(0) && store.wouldEvict(1));
    assert.ok(store.put(key(11), jpeg(1000)));
    assert.equal(store.get(key(1)), undefined);
    assert.equal(store.get(key(2)), undefined);
    assert.ok(store.get(key(3)) && store.get(key(11)));
    assert.equal(readdirSync(dir).length, 9);
    assert.ok(!store.put(key(12), jpeg(20_000)), 'larger than the whole bound');
    // A bound lowered since: the store is cut to it when first read.
    new ScaledStore(dir, 5000).get(key(11));
    assert.equal(readdirSync(dir).length, 4);
  });

  it('drops a broken picture, a write cut short, and is a store of nothing where it cannot write', () => {
    const dir = path.join(work, 'store-broken');
    const store = new ScaledStore(dir, 1 << 20);
    store.put(key(1), jpeg(1000));
    const [name] = readdirSync(dir);
    writeFileSync(path.join(dir, name as string), 'not a picture');
    assert.equal(store.get(key(1)), undefined);
    assert.deepEqual(readdirSync(dir), [], 'the broken one removed');
    writeFileSync(path.join(dir, `${'0'.repeat(40)}.jpg.123.0.partial`), 'half');
    writeFileSync(path.join(dir, 'README'), 'not ours');
    new ScaledStore(dir, 1 << 20).get(key(1));
    assert.deepEqual(readdirSync(dir), ['README']);

    const inTheWay = path.join(work, 'store-is-a-file');
    writeFileSync(inTheWay, 'a file where the folder should be');
    const nowhere = new ScaledStore(inTheWay, 1 << 20);
    assert.equal(nowhere.put(key(1), jpeg(1000)), false);
    assert.equal(nowhere.get(key(1)), undefined);
    assert.equal(readFileSync(inTheWay, 'utf8'), 'a file where the folder should be');
  });
});

describe('covers made ahead by the picture process', () => {
  let library: string;
  let folders: Array<{ folder: string; shownFolder: string }>;
  const store = (): string => path.join(work, 'covers');

  before(() => {
    library = path.join(work, 'library');
    makeCover(path.join(library, 'A', 'cover.jpg'), 'testsrc', 600, 600);
    makeCover(path.join(library, 'B', 'folder.png'), 'smptebars', 500, 400);
    makeCover(path.join(library, 'C', 'cover.jpg'), 'mandelbrot', 800, 800);
    mkdirSync(path.join(library, 'D without a cover'));
    folders = ['A', 'B', 'C', 'D without a cover'].map((name) => ({
      folder: path.join(library, name),
      shownFolder: name,
    }));
  });

  it('scales each album cover into the store once; a new process reads them instead of scaling again', async () => {
    const first = new PictureScaler(8, log, { dir: store(), maxBytes: 1 << 20 });
    try {
      assert.equal(await first.makeAhead(folders, ['cover', 'folder'], 300), 3);
    } finally {
      first.close();
    }
    const made = kept(store());
    assert.equal(made.size, 3);
    for (const name of made.keys()) {
      const data = readFileSync(path.join(store(), name));
      assert.match(dimensions(data), /^(300,300|300,240)$/);
    }

    const second = new PictureScaler(8, log, { dir: store(), maxBytes: 1 << 20 });
    try {
      assert.equal(await second.makeAhead(folders, ['cover', 'folder'], 300), 3, 'found kept');
      assert.equal(await second.makeAhead(folders, ['cover', 'folder'], 300), 0, 'seen by the pass before: skipped');
      const found = await second.folderCover(path.join(library, 'B'), 'B', ['cover', 'folder'], 300);
      assert.ok(found && found !== 'none');
      assert.equal(found.picture.mime, 'image/png');
      const file = [...made.keys()].find((name) => name.endsWith('.png')) as string;
      assert.deepEqual(Buffer.from(found.picture.data), readFileSync(path.join(store(), file)));
    } finally {
      second.close();
    }
    await pictureProcessEnded();
    assert.deepEqual(kept(store()), made, 'nothing written again');
  });

  it('never serves a replaced cover stale', async () => {
    const before = kept(store());
    makeCover(path.join(library, 'A', 'cover.jpg'), 'testsrc', 800, 400); // the same name, a new picture
    const scaler = new PictureScaler(8, log, { dir: store(), maxBytes: 1 << 20 });
    try {
      const found = await scaler.folderCover(path.join(library, 'A'), 'A', ['cover', 'folder'], 300);
      assert.ok(found && found !== 'none');
      assert.equal(dimensions(found.picture.data), '300,150');
    } finally {
      scaler.close();
    }
    await pictureProcessEnded();
    assert.equal(kept(store()).size, before.size + 1, 'kept beside the old, which leaves first when full');
  });

  it('stops when the store takes no more: full, or a file where its folder should be', async () => {
    // A bound one byte short of the three covers: the third would push out another.
    const whole = path.join(work, 'covers-whole');
    const probe = new PictureScaler(8, log, { dir: whole, maxBytes: 1 << 20 });
    await probe.makeAhead(folders, ['cover', 'folder'], 300).finally(() => probe.close());
    const bound = [...kept(whole).keys()].reduce((sum, name) => sum + statSync(path.join(whole, name)).size, 0) - 1;
    const small = path.join(work, 'covers-small');
    const scaler = new PictureScaler(8, log, { dir: small, maxBytes: bound });
    try {
      assert.equal(await scaler.makeAhead(folders, ['cover', 'folder'], 300), 2);
      assert.ok(said.some((line) => line.includes('takes no more')));
      // Asked for, a cover is scaled and kept all the same, the oldest leaving for it.
      for (const { folder, shownFolder } of folders.slice(0, 3)) {
        const found = await scaler.folderCover(folder, shownFolder, ['cover', 'folder'], 300);
        assert.ok(found && found !== 'none', shownFolder);
      }
    } finally {
      scaler.close();
    }
    await pictureProcessEnded();
    const bytes = [...kept(small).keys()].reduce((sum, name) => sum + statSync(path.join(small, name)).size, 0);
    assert.ok(bytes <= bound, `${bytes} bytes kept of ${bound}`);

    const inTheWay = path.join(work, 'covers-file');
    writeFileSync(inTheWay, '');
    const nowhere = new PictureScaler(8, log, { dir: inTheWay, maxBytes: 1 << 20 });
    try {
      assert.equal(await nowhere.makeAhead(folders, ['cover', 'folder'], 300), 0);
      const found = await nowhere.folderCover(path.join(library, 'C'), 'C', ['cover', 'folder'], 300);
      assert.ok(found && found !== 'none');
      assert.equal(dimensions(found.picture.data), '300,300', 'scaled, not kept');
    } finally {
      nowhere.close();
    }
  });
});

describe('the daemon makes its covers ahead after the scan', () => {
  it('serves getCoverArt at 300 from what it made', async () => {
    const music = path.join(work, 'api-music');
    for (const [album, source] of [
      ['Album One', 'testsrc'],
      ['Album Two', 'smptebars'],
    ] as const) {
      makeCover(path.join(music, 'Artist', album, 'cover.jpg'), source, 600, 600);
      execFileSync('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'libmp3lame'],
        ...['-metadata', `album=${album}`, '-metadata', 'artist=Artist', '-metadata', 'title=Song'],
        path.join(music, 'Artist', album, 'song.mp3'),
      ]);
    }
    const user = { name: 'alice', password: 'open sesame' };
    const daemon = await startTestDaemon(music, { users: [user], coverStoreBytes: 1 << 20 });
    try {
      const covers = path.join(daemon.stateDir, 'covers');
      // Made in the background: waited for (the test's own deadline bounds it).
      while (kept(covers).size < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      const auth = new URLSearchParams({ u: user.name, p: user.password, v: '1.16.1', c: 'test', f: 'json' });
      const list = (await (
        await fetch(`http://127.0.0.1:${daemon.httpPort}/rest/getAlbumList2?${auth}&type=alphabeticalByName`)
      ).json()) as { 'subsonic-response': { albumList2: { album: Array<{ coverArt: string }> } } };
      const stored = [...kept(covers).keys()].map((name) => readFileSync(path.join(covers, name)));
      for (const album of list['subsonic-response'].albumList2.album) {
        const response = await fetch(
          `http://127.0.0.1:${daemon.httpPort}/rest/getCoverArt?${auth}&id=${album.coverArt}&size=300`,
        );
        assert.equal(response.headers.get('content-type'), 'image/jpeg');
        const data = Buffer.from(await response.arrayBuffer());
        assert.ok(
          stored.some((picture) => picture.equals(data)),
          'the picture made ahead',
        );
      }
    } finally {
      await daemon.stop();
    }
  });
});
