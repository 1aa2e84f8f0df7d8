/**
 * An album folder without a cover file, asked for its cover at a size: answered "none" without a
 * picture process started for it (a node and sharp, most of such an answer's time); a cover put in
 * the folder afterwards is found; with the process running, it answers for such folders itself.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PictureScaler } from '../../daemon/artwork/picture-scaler.js';
import type { Logger } from '../../daemon/log.js';
import { testPicture } from '../helpers/fixtures.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const COVER_NAMES = ['cover', 'folder', 'front'];
let work: string;
let scaler: PictureScaler;

/** This process's children: the picture process is its only one. */
const children = (): string[] =>
  readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);

function album(name: string): string {
  const folder = path.join(work, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, '01.mp3'), 'not looked at');
  writeFileSync(path.join(folder, 'notes.txt'), 'not a cover');
  return folder;
}

before(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'cover-none-'));
  scaler = new PictureScaler(8, silent);
});
after(() => {
  scaler.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a folder without a cover file', () => {
  it('is answered without a picture process, and a cover put there later is found', async () => {
    const folder = album('bare');
    assert.equal(await scaler.folderCover(folder, 'bare', COVER_NAMES, 300), 'none');
    assert.equal(await scaler.folderCover(folder, 'bare', COVER_NAMES, 300), 'none', 'kept');
    assert.deepEqual(children(), [], 'no picture process started');
    testPicture(600, 600, path.join(folder, 'cover.jpg'));
    const cover = await scaler.folderCover(folder, 'bare', COVER_NAMES, 300);
    assert.ok(cover && cover !== 'none', 'the cover added is found');
    assert.equal(cover.picture.mime, 'image/jpeg');
    assert.equal(children().length, 1, 'the picture process scaled it');
  });

  it('is answered by the picture process while it runs', async () => {
    assert.equal(children().length, 1);
    assert.equal(await scaler.folderCover(album('bare too'), 'bare too', COVER_NAMES, 300), 'none');
  });
});
