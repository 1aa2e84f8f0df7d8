import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitterBuffer, type Playout } from '../../tui/playback/jitter-buffer.js';

const FRAME = 26;
const payload = (sequence: number): Buffer => Buffer.from([sequence & 0xff]);
const shape = (items: Playout[]): string[] =>
  items.map((item) => (item.kind === 'audio' ? `a${item.sequence}` : `gap${item.ms}`));

describe('jitter buffer', () => {
  it('holds datagrams for its delay, then hands them out in order even when they came out of order', () => {
    const buffer = new JitterBuffer(300, 0);
    // Sequence n carries media time n x 26 ms; it arrives at 1000 + n x 26 ms, except 2 and 3 swapped.
    const arrivals: Array<[number, number]> = [
      [0, 1000],
      [1, 1026],
      [3, 1078],
      [2, 1090],
      [4, 1104],
    ];
    for (const [sequence, at] of arrivals)
      assert.equal(buffer.push(sequence, sequence * FRAME, FRAME, payload(sequence), at), 'queued');
    assert.deepEqual(shape(buffer.pop(1299)), [], 'nothing before the delay');
    assert.deepEqual(shape(buffer.pop(1300)), ['a0']);
    assert.deepEqual(shape(buffer.pop(1300 + 4 * FRAME)), ['a1', 'a2', 'a3', 'a4']);
  });

  it('gives a missing datagram up at its moment and conceals it with silence of its length', () => {
    const buffer = new JitterBuffer(300, 0);
    for (const sequence of [0, 1, 4, 5])
      buffer.push(sequence, sequence * FRAME, FRAME, payload(sequence), 1000 + sequence * FRAME);
    assert.deepEqual(shape(buffer.pop(1300 + FRAME)), ['a0', 'a1']);
    assert.deepEqual(shape(buffer.pop(1300 + 2 * FRAME - 1)), [], '2 may still come');
    assert.deepEqual(shape(buffer.pop(1300 + 4 * FRAME)), ['gap52', 'a4']);
    assert.equal(buffer.push(2, 2 * FRAME, FRAME, payload(2), 1500), 'late', 'too late to play');
    assert.equal(buffer.push(5, 5 * FRAME, FRAME, payload(5), 1500), 'duplicate');
  });

  it('hands out early by its lead, so the sink never runs dry', () => {
    const buffer = new JitterBuffer(300, 60);
    buffer.push(0, 0, FRAME, payload(0), 1000);
    assert.deepEqual(shape(buffer.pop(1239)), []);
    assert.deepEqual(shape(buffer.pop(1240)), ['a0']);
  });

  it('waits at a gap while nothing after it has come (a stall, not a loss)', () => {
    const buffer = new JitterBuffer(300, 0);
    buffer.push(0, 0, FRAME, payload(0), 1000);
    assert.deepEqual(shape(buffer.pop(5000)), ['a0']);
    assert.deepEqual(shape(buffer.pop(9000)), []);
  });

  it('starts over when the stream jumps (the daemon restarted)', () => {
    const buffer = new JitterBuffer(300, 0);
    buffer.push(5000, 900_000, FRAME, payload(0), 1000);
    assert.deepEqual(shape(buffer.pop(1300)), ['a5000']);
    assert.equal(buffer.push(3, 78, FRAME, payload(3), 2000), 'queued', 'a new stream from a low number');
    assert.deepEqual(shape(buffer.pop(2300)), ['a3']);
  });
});
