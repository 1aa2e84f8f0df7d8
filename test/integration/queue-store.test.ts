/** The queue kept on disk, one for each device name, in real files. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { QueueStore, type SavedQueue } from '../../tui/store/queue-store.js';
import { song } from '../helpers/songs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-queue-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let dirs = 0;
const fresh = (): string => path.join(dir, `state-${dirs++}`);
const queueOf = (ids: number[]): SavedQueue => ({
  songs: ids.map((id) => song(id)),
  place: null,
  shuffle: false,
  order: ids.map((_, i) => i),
  seed: 1,
});
const noWarning = (text: string): never => assert.fail(text);

describe('the queue store', () => {
  it('keeps a queue for each device name: the kitchen does not open with the desk’s', () => {
    const state = fresh();
    const desk = new QueueStore(state, noWarning, 'desk');
    desk.save(queueOf([1, 2, 3]));
    desk.flush();
    assert.equal(new QueueStore(state, noWarning, 'Küche').load(), undefined);
    assert.deepEqual(
      new QueueStore(state, noWarning, 'desk').load()?.songs.map((s) => s.id),
      [1, 2, 3],
    );
  });

  it('gives any name a file of its own in the state dir', () => {
    const state = fresh();
    for (const [name, ids] of [
      ['Living Room', [1]],
      ['..', [2]],
      ['a/b', [3]],
      ['台所', [4]],
    ] as const) {
      const store = new QueueStore(state, noWarning, name);
      assert.equal(path.dirname(store.file), state, store.file);
      store.save(queueOf([...ids]));
      store.flush();
    }
    assert.equal(readdirSync(state).length, 4, readdirSync(state).join(', '));
    assert.deepEqual(
      new QueueStore(state, noWarning, '..').load()?.songs.map((s) => s.id),
      [2],
    );
  });

  it('hands the one queue.json of an older player to the first device that starts', () => {
    const state = fresh();
    const first = new QueueStore(state, noWarning, 'desk');
    first.save(queueOf([7, 8]));
    first.flush();
    rmSync(path.join(state, 'queue-desk.json'));
    // As the player before queues by device left it.
    writeFileSync(path.join(state, 'queue.json'), JSON.stringify({ format: 1, ...queueOf([7, 8]) }));
    assert.deepEqual(
      new QueueStore(state, noWarning, 'desk').load()?.songs.map((s) => s.id),
      [7, 8],
    );
    assert.equal(existsSync(path.join(state, 'queue.json')), false);
    assert.equal(new QueueStore(state, noWarning, 'kitchen').load(), undefined);
  });
});
