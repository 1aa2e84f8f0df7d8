/** How much a call's voice stream holds: enough to outlast the stalls that ran it dry of late, and no more. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StallHeadroom } from '../../tui/audio/stall-headroom.js';

/** Feeds at the times given, and runs dry at those marked `dry` (ms): the targets set, as [time, target]. */
function run(events: Array<number | { dry: number }>): Array<[number, number]> {
  const headroom = new StallHeadroom(30, 150, 10_000);
  const moves: Array<[number, number]> = [];
  for (const event of events) {
    const at = typeof event === 'number' ? event : event.dry;
    const target = typeof event === 'number' ? headroom.fed(at) : headroom.ranDry(at);
    if (target !== undefined) moves.push([at, target]);
  }
  return moves;
}

/** Every 10 ms from `from` to `to` (ms), as the server asks. */
const every10 = (from: number, to: number): number[] =>
  Array.from({ length: (to - from) / 10 + 1 }, (_, i) => from + 10 * i);

describe('StallHeadroom', () => {
  const cases: Array<[string, Array<number | { dry: number }>, Array<[number, number]>]> = [
    ['fed every 10 ms: stays at its minimum', every10(0, 5000), []],
    ['a gap the stream outlasted (never ran dry): stays', [...every10(0, 1000), 1045, ...every10(1055, 2000)], []],
    [
      'ran dry in a 75 ms gap, told after the feed that ended it: at once to 140 (half as long again, 20 more)',
      [...every10(0, 1000), 1075, { dry: 1076 }, 1085],
      [[1076, 140]],
    ],
    ['ran dry, told before the feed: the gap so far', [0, 10, { dry: 50 }, 60], [[50, 80]]],
    ['a gap longer than its maximum: its maximum', [0, 10, 400, { dry: 400 }], [[400, 150]]],
    [
      'down once it has not run dry for ten seconds',
      [0, 10, 70, { dry: 70 }, ...every10(80, 10_200)],
      [
        [70, 110],
        [10_080, 30],
      ],
    ],
  ];
  for (const [name, events, moves] of cases) {
    it(name, () => assert.deepEqual(run(events), moves));
  }

  it('a stream opened anew has no gap before its first feed', () => {
    const headroom = new StallHeadroom(30, 150);
    headroom.fed(0);
    headroom.reset(2000);
    headroom.fed(5000);
    assert.equal(headroom.ranDry(5001), undefined, 'a ms since the last feed: no stall to outlast');
    assert.equal(headroom.targetMs, 30);
  });

  it('runs dry in its first two seconds without holding more: a call’s own start', () => {
    const headroom = new StallHeadroom(30, 150);
    headroom.reset(1000);
    for (const at of every10(1000, 1500)) headroom.fed(at);
    headroom.fed(1590);
    assert.equal(headroom.ranDry(1591), undefined, '90 ms dry, 0.6 s after its start');
    for (const at of every10(1600, 3000)) headroom.fed(at);
    headroom.fed(3090);
    assert.equal(headroom.ranDry(3091), 150, 'the same after two seconds: held (1.5 x 90 + 20, to its maximum)');
  });
});
