/**
 * The library is watched folder by folder (one inotify watch each, not one per
 * file), new folders are watched as they come, and a regular file created where a symlink was
 * deleted is noticed. How long clients wait while thousands of files arrive is in bench/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Catalog } from '../../daemon/catalog/catalog.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { captureLog, until } from '../helpers/log-capture.js';

/** inotify watches this process holds, from /proc/self/fdinfo. */
function inotifyWatches(): number {
  let watches = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') continue;
      watches += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return watches;
}

let library: FixtureLibrary;
let catalog: Catalog;
before(async () => {
  library = makeFixtureLibrary();
  catalog = new Catalog(library.root, undefined, captureLog());
  await catalog.open();
});
after(async () => {
  await catalog.close();
  library.cleanup();
});

describe('the folder watch', () => {
  it('holds one watch per folder, however many files arrive, and sees files in a folder made after it started', async () => {
    const before = inotifyWatches();
    catalog.watch();
    const folders = inotifyWatches() - before;
    assert.ok(folders > 0 && folders < 20, `${folders} watches for the fixture library's folders`);
    const crowd = path.join(library.root, 'crowd');
    mkdirSync(crowd);
    const song = readFileSync(path.join(library.root, 'lame/mono-22k.mp3'));
    for (let i = 0; i < 300; i++) writeFileSync(path.join(crowd, `song ${String(i).padStart(3, '0')}.mp3`), song);
    await until(
      '300 new songs',
      () => (catalog.songs().filter((s) => s.info.file.startsWith('crowd/')).length === 300 ? true : undefined),
      20_000,
    );
    assert.equal(inotifyWatches() - before, folders + 1, 'one more watch: the new folder, not its files');
    rmSync(crowd, { recursive: true });
    await until(
      'the folder gone',
      () => (catalog.songs().some((s) => s.info.file.startsWith('crowd/')) ? undefined : true),
      10_000,
    );
    await until('its watch dropped', () => (inotifyWatches() - before === folders ? true : undefined), 5000);
  });

  it('notices a regular file created where a symlink was deleted', async () => {
    const link = path.join(library.root, 'swap.mp3');
    symlinkSync('lamejs-cbr.mp3', link);
    await until('the symlink listed', () => catalog.songs().find((s) => s.info.file === 'swap.mp3'));
    const etag = catalog.find('swap.mp3').info.etag;
    rmSync(link);
    copyFileSync(path.join(library.root, 'lame/mono-22k.mp3'), link);
    const song = await until('the file in its place', () =>
      catalog.songs().find((s) => s.info.file === 'swap.mp3' && s.info.etag !== etag),
    );
    assert.equal(song.info.sampleRate, 22050);
  });
});
