import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Catalog, RESCAN_MAX_WAIT_MS } from '../../daemon/catalog/catalog.js';
import { BROKEN_FILES, FIXTURE_SONGS, makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { captureLog, until } from '../helpers/log-capture.js';

let library: FixtureLibrary;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-catalog-'));
const store = path.join(stateDir, 'catalog.json');

before(() => {
  library = makeFixtureLibrary();
});
after(() => {
  library.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('catalog scan', () => {
  it('holds the servable songs only, and says why each other file was left out', async () => {
    const log = captureLog();
    const catalog = new Catalog(library.root, store, log);
    await catalog.open();
    await catalog.close();
    assert.deepEqual(
      catalog
        .songs()
        .map((s) => s.info.file)
        .sort(),
      [...FIXTURE_SONGS.map((s) => s.file), 'link-in.mp3'].sort(),
    );
    const warnings = log.lines.filter((l) => l.startsWith('warn'));
    for (const file of BROKEN_FILES)
      assert.ok(
        warnings.some((w) => w.includes(`skipped ${file}:`)),
        `warned about ${file}`,
      );
    for (const [file, reason] of [
      ['link-out.mp3', 'symlink leads outside'],
      ['dir-out', 'symlink leads outside'],
      ['passwd.mp3', 'symlink leads outside'],
      ['?', 'not valid UTF-8 or has control characters'],
    ]) {
      assert.ok(
        warnings.some((w) => w.includes(file as string) && w.includes(reason as string)),
        `${file}: ${reason}`,
      );
    }
    assert.ok(warnings.some((w) => w.includes('cut-off.mp3') && w.includes('not served')));
    assert.ok(warnings.some((w) => w.includes('wav/cut-off.wav') && w.includes('claims')));
    assert.equal(
      catalog.songs().some((s) => s.path.startsWith(library.outside)),
      false,
    );
  });

  it('starts again from the stored catalog without analysing anything, same ids and etags', async () => {
    const first = new Catalog(library.root, store, captureLog());
    await first.open();
    await first.close();
    const log = captureLog();
    const second = new Catalog(library.root, store, log);
    await second.open();
    await second.close();
    assert.ok(
      log.lines.some((l) => /library: \d+ songs \(0 analysed/.test(l)),
      log.lines.join('\n'),
    );
    assert.deepEqual(
      second.songs().map((s) => [s.info.id, s.info.file, s.info.etag]),
      first.songs().map((s) => [s.info.id, s.info.file, s.info.etag]),
    );
  });

  it('analyses everything again after an analyser change, keeping ids and etags', async () => {
    const first = new Catalog(library.root, store, captureLog());
    await first.open();
    await first.close();
    // As an older streamd wrote it: analyser 1, no track or year.
    const { readFileSync } = await import('node:fs');
    const data = JSON.parse(readFileSync(store, 'utf8')) as {
      analyzer: number;
      songs: Array<{ info: { track?: number; year?: number } }>;
    };
    data.analyzer = 1;
    for (const song of data.songs) {
      delete song.info.track;
      delete song.info.year;
    }
    writeFileSync(store, JSON.stringify(data));
    const log = captureLog();
    const second = new Catalog(library.root, store, log);
    await second.open();
    await second.close();
    assert.ok(
      log.lines.some((l) => new RegExp(`library: \\d+ songs \\(${FIXTURE_SONGS.length + 1} analysed`).test(l)),
      log.lines.join('\n'),
    );
    assert.deepEqual(
      second.songs().map((s) => [s.info.id, s.info.file, s.info.etag]),
      first.songs().map((s) => [s.info.id, s.info.file, s.info.etag]),
    );
    assert.equal(second.songs().find((s) => s.info.file.includes('tagged'))?.info.year, 2019);
  });

  it('ignores a corrupt stored catalog and scans cold', async () => {
    appendFileSync(store, '{{{ not json');
    const log = captureLog();
    const catalog = new Catalog(library.root, store, log);
    await catalog.open();
    await catalog.close();
    assert.equal(catalog.size, FIXTURE_SONGS.length + 1);
  });
});

describe('catalog rescans that fail', () => {
  it('keep the catalog as it was when the library folder goes away, and say so', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'streamd-vanish-'));
    const root = path.join(base, 'music');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(root);
    copyFileSync(path.join(library.root, 'lamejs-cbr.mp3'), path.join(root, 'song.mp3'));
    const log = captureLog();
    const catalog = new Catalog(root, undefined, log);
    try {
      await catalog.open();
      renameSync(root, path.join(base, 'moved'));
      await catalog.scan(); // resolves: no crash
      assert.equal(catalog.size, 1);
      assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('scan failed')));
    } finally {
      await catalog.close();
      rmSync(base, { recursive: true, force: true });
    }
    await catalog.scan(); // after close: nothing runs
  });
});

describe('catalog watch', () => {
  it('sees songs added, changed, renamed and removed, keeping ids of the ones that stay', async () => {
    const catalog = new Catalog(library.root, undefined, captureLog());
    await catalog.open();
    catalog.watch();
    try {
      const cbr = catalog.find('lamejs-cbr.mp3');
      const added = path.join(library.root, 'new folder', 'added.mp3');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(path.dirname(added));
      copyFileSync(path.join(library.root, 'lame/mono-22k.mp3'), `${added}.part`);
      renameSync(`${added}.part`, added);
      const song = await until('added song', () => catalog.songs().find((s) => s.info.file === 'new folder/added.mp3'));
      assert.ok(song.info.id > cbr.info.id);

      const etag = song.info.etag;
      copyFileSync(path.join(library.root, 'lamejs-cbr.mp3'), added);
      const changed = await until('changed song', () =>
        catalog.songs().find((s) => s.info.file === 'new folder/added.mp3' && s.info.etag !== etag),
      );
      assert.equal(changed.info.id, song.info.id, 'a changed file keeps its id');
      assert.equal(changed.info.sampleRate, 44100);

      rmSync(added);
      await until('removed song', () => !catalog.songs().some((s) => s.info.file === 'new folder/added.mp3'));
      assert.equal(catalog.find('lamejs-cbr.mp3').info.id, cbr.info.id);
    } finally {
      await catalog.close();
    }
  });
});

describe('catalog watch under constant change', () => {
  it('rescans within RESCAN_MAX_WAIT_MS even while a file is touched every 200 ms', async () => {
    const catalog = new Catalog(library.root, undefined, captureLog());
    await catalog.open();
    catalog.watch();
    const busy = path.join(library.root, 'busy.txt');
    const toucher = setInterval(() => writeFileSync(busy, String(Date.now())), 200);
    try {
      const added = path.join(library.root, 'while-busy.mp3');
      copyFileSync(path.join(library.root, 'lamejs-cbr.mp3'), added);
      const started = Date.now();
      await until(
        'the song added while the folder kept changing',
        () => catalog.songs().find((s) => s.info.file === 'while-busy.mp3'),
        RESCAN_MAX_WAIT_MS + 5000,
      );
      assert.ok(Date.now() - started < RESCAN_MAX_WAIT_MS + 3000, `seen after ${Date.now() - started} ms`);
    } finally {
      clearInterval(toucher);
      await catalog.close();
      rmSync(busy, { force: true });
      rmSync(path.join(library.root, 'while-busy.mp3'), { force: true });
    }
  });
});

describe('catalog close during a scan', () => {
  it('stops the scan between files (workers terminated) and changes nothing', async () => {
    const crowd = path.join(library.root, 'crowd-close');
    const { mkdirSync, readFileSync } = await import('node:fs');
    mkdirSync(crowd);
    const song = readFileSync(path.join(library.root, 'lame/mono-22k.mp3'));
    for (let i = 0; i < 1500; i++) writeFileSync(path.join(crowd, `${i}.mp3`), song);
    try {
      const catalog = new Catalog(library.root, undefined, captureLog());
      const opening = catalog.open();
      await new Promise((resolve) => setTimeout(resolve, 60));
      await catalog.close();
      await opening;
      assert.equal(catalog.size, 0, 'the incomplete first scan listed nothing');
    } finally {
      rmSync(crowd, { recursive: true, force: true });
    }
  });
});
