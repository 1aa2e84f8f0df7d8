import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Effect } from '../../tui/state/actions.js';
import { applyEvent } from '../../tui/state/events.js';
import { orderedLibrary } from '../../tui/state/library-tree.js';
import { PLAY_COUNTS_AFTER_SECONDS } from '../../tui/state/marks.js';
import { initialState, type PlayerState } from '../../tui/state/model.js';
import { libraryRows } from '../../tui/state/selectors.js';
import { applyAction } from '../../tui/state/update.js';
import { song } from '../helpers/songs.js';

const library = [song(1), song(2), song(3, { duration: 600 })];
const base: PlayerState = { ...initialState('me'), library, connection: 'online' };
const NOW = Date.parse('2026-12-05T21:30:00Z');

describe('marks: ratings, favourites and plays', () => {
  it('a rating key rates the song under the cursor (library, queue), else the one playing', () => {
    const table: Array<[string, PlayerState, number]> = [
      ['library cursor', { ...base, selected: 1 }, 2],
      [
        'queue cursor',
        {
          ...base,
          focus: 'queue',
          queue: { ...base.queue, entries: [{ id: 7, song: library[2] as never }] },
          selectedEntry: 0,
        },
        3,
      ],
      ['devices: the song playing', { ...base, focus: 'devices', now: { song: library[0] as never, position: 1 } }, 1],
    ];
    for (const [name, state, id] of table) {
      const update = applyAction(state, { type: 'rate', stars: 4 }, NOW);
      assert.equal(update.state.marks.get(id)?.rating, 4, name);
      assert.deepEqual(
        update.effects.map((e: Effect) => e.type === 'set-sticker' && [e.song.id, e.name, e.value]),
        [[id, 'rating', '4']],
        name,
      );
    }
    const cleared = applyAction({ ...base, selected: 1 }, { type: 'rate', stars: 0 }, NOW);
    assert.deepEqual(cleared.effects, [{ type: 'set-sticker', song: library[1], name: 'rating', value: undefined }]);
    assert.deepEqual(applyAction({ ...base, focus: 'devices' }, { type: 'rate', stars: 3 }, NOW).effects, []);
  });

  it('* marks a favourite with the time, and again takes it off', () => {
    const marked = applyAction({ ...base, selected: 0 }, { type: 'toggle-favorite' }, NOW);
    assert.equal(marked.state.marks.get(1)?.favoriteSince, NOW);
    assert.deepEqual(marked.effects, [
      { type: 'set-sticker', song: library[0], name: 'favorite', value: '2026-12-05T21:30:00Z' },
    ]);
    const unmarked = applyAction(marked.state, { type: 'toggle-favorite' }, NOW + 1000);
    assert.equal(unmarked.state.marks.get(1)?.favoriteSince, undefined);
    assert.deepEqual(unmarked.effects, [{ type: 'set-sticker', song: library[0], name: 'favorite', value: undefined }]);
  });

  it('counts a play once, past half the song or 4 minutes of it heard, a seek not heard', () => {
    const playing = (id: number): PlayerState => ({
      ...base,
      playState: 'Playing',
      now: { song: library[id - 1] as never, position: 0 },
    });
    /** The positions reported in order; the effects of each. */
    const run = (state: PlayerState, positions: number[]): { state: PlayerState; counts: number } => {
      let counts = 0;
      for (const seconds of positions) {
        const update = applyEvent(state, { type: 'position', seconds });
        counts += update.effects.filter((e) => e.type === 'count-play').length;
        state = update.state;
      }
      return { state, counts };
    };
    const every = (from: number, to: number): number[] =>
      Array.from({ length: Math.round((to - from) / 0.5) + 1 }, (_, k) => from + k * 0.5);
    // 95 s song: half is 47.5 s.
    assert.equal(run(playing(1), every(0.5, 47)).counts, 0);
    const half = run(playing(1), every(0.5, 95));
    assert.equal(half.counts, 1, 'once, however long it plays on');
    assert.equal(half.state.marks.get(1)?.playCount, 1);
    // A seek to 60 s is not listening: 10 s heard then a jump, then 20 s more.
    assert.equal(run(playing(1), [...every(0.5, 10), ...every(60, 80)]).counts, 0);
    // 600 s song: 4 minutes heard count it, not half.
    assert.equal(run(playing(3), every(0.5, PLAY_COUNTS_AFTER_SECONDS - 1)).counts, 0);
    assert.equal(run(playing(3), every(0.5, PLAY_COUNTS_AFTER_SECONDS)).counts, 1);
    // Paused: nothing heard.
    assert.equal(run({ ...playing(1), playState: 'Paused' }, every(0.5, 95)).counts, 0);
  });

  it('o orders the library by the marks, or keeps only those that have one', () => {
    const marks = new Map([
      [1, { rating: 2, playCount: 5, favoriteSince: NOW - 1000 }],
      [2, { rating: 5, playCount: 9 }],
      [3, { rating: 0, playCount: 0, favoriteSince: NOW }],
    ]);
    const ids = (order: Parameters<typeof orderedLibrary>[2]): number[] =>
      orderedLibrary(library, marks, order).map((s) => s.id);
    assert.deepEqual(ids('path'), [1, 2, 3]);
    assert.deepEqual(ids('most-played'), [2, 1]);
    assert.deepEqual(ids('top-rated'), [2, 1]);
    assert.deepEqual(ids('favorites'), [3, 1]);
    assert.deepEqual(ids('never-played'), [3]);
    let state: PlayerState = { ...base, marks, selected: 2 };
    const seen: string[] = [];
    for (let k = 0; k < 5; k++) {
      state = applyAction(state, { type: 'cycle-order' }, NOW).state;
      seen.push(`${state.libraryOrder}:${libraryRows(state).length}`);
      assert.equal(state.selected, 0);
    }
    assert.deepEqual(seen, ['most-played:2', 'top-rated:2', 'favorites:2', 'never-played:1', 'path:3']);
  });

  it("the daemon's stickers become the marks shown", () => {
    const update = applyEvent(base, {
      type: 'stickers',
      stickers: new Map([[2, { rating: '3', favorite: '2026-12-05T21:30:00Z', playcount: '7', mood: 'x' }]]),
    });
    assert.deepEqual(update.state.marks.get(2), { rating: 3, favoriteSince: NOW, playCount: 7 });
  });
});
