/** The best of a sliding window of time (common/window-extreme.ts), table-tested. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowExtreme } from '../../common/window-extreme.js';

describe('WindowExtreme', () => {
  // [name, sign, window ms, values added as [at, value], the best after each]
  const cases: Array<[string, 1 | -1, number, Array<[number, number]>, Array<number | undefined>]> = [
    [
      'the largest, until it is older than the window',
      1,
      100,
      [
        [0, 5],
        [10, 3],
        [50, 4],
        [101, 1],
        [151, 0],
      ],
      [5, 5, 5, 4, 1],
    ],
    [
      'a larger value replaces those before it at once',
      1,
      100,
      [
        [0, 1],
        [10, 2],
        [20, 9],
        [30, 3],
      ],
      [1, 2, 9, 9],
    ],
    [
      'the smallest, with sign -1',
      -1,
      100,
      [
        [0, 5],
        [10, 7],
        [20, 2],
        [121, 6],
      ],
      [5, 5, 2, 6],
    ],
    [
      'equal values: the later one is kept',
      1,
      10,
      [
        [0, 3],
        [5, 3],
        [12, 1],
      ],
      [3, 3, 3],
    ],
  ];
  for (const [name, sign, windowMs, added, bests] of cases) {
    it(name, () => {
      const window = new WindowExtreme(windowMs, sign);
      assert.deepEqual(
        added.map(([at, value]) => {
          window.add(at, value);
          return window.best;
        }),
        bests,
      );
    });
  }

  it('expires without a new value, and holds none once cleared', () => {
    const window = new WindowExtreme(100);
    window.add(0, 4);
    window.expire(100);
    assert.equal(window.best, 4);
    window.expire(101);
    assert.equal(window.best, undefined);
    window.add(200, 1);
    window.clear();
    assert.equal(window.best, undefined);
  });
});
