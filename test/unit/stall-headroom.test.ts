/** How much a call's voice stream holds: enough to outlast the player's stalls of late, and no more. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StallHeadroom } from '../../tui/audio/stall-headroom.js';

/** Feeds at `times` (ms): the targets each feed set, as [time, target]. */
function feed(times: number[], headroom = new StallHeadroom(30, 150, 10_000)): Array<[number, number]> {
  const moves: Array<[number, number]> = [];
  for (const at of times) {
    const target = headroom.fed(at);
    if (target !== undefined) moves.push([at, target]);
  }
  return moves;
}

/** Every 10 ms from `from` to `to` (ms), as the server asks. */
const every10 = (from: number, to: number): number[] =>
  Array.from({ length: (to - from) / 10 + 1 }, (_, i) => from + 10 * i);

describe('StallHeadroom', () => {
  const cases: Array<[string, number[], Array<[number, number]>]> = [
    ['fed every 10 ms: stays at its minimum', every10(0, 5000), []],
    ['a gap shorter than the minimum less its margin: stays', [...every10(0, 1000), 1020, ...every10(1030, 2000)], []],
    [
      'a 95 ms gap: at once to 110 (the gap, 10 more, in steps of 10)',
      [...every10(0, 1000), 1095, 1105],
      [[1095, 110]],
    ],
    ['a gap longer than its maximum: its maximum', [0, 10, 400, 410], [[400, 150]]],
    [
      'a longer gap while it is up: up again, never down for a shorter one',
      [0, 10, 60, 70, 200, 210, 240],
      [
        [60, 60],
        [200, 140],
      ],
    ],
    [
      'down once no gap that long has been seen for ten seconds, to the longest since',
      [0, 10, 110, ...every10(120, 5000), 5050, ...every10(5060, 15_100)],
      [
        [110, 110],
        [10_120, 60],
        [15_060, 30],
      ],
    ],
  ];
  for (const [name, times, moves] of cases) {
    it(name, () => assert.deepEqual(feed(times), moves));
  }

  it('a stream opened anew has no gap before its first feed', () => {
    const headroom = new StallHeadroom(30, 150);
    headroom.fed(0);
    headroom.reset();
    assert.equal(headroom.fed(5000), undefined);
    assert.equal(headroom.targetMs, 30);
  });
});
