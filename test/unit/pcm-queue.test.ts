/** The PCM queue the PulseAudio sink feeds from, and the mixing of a second stream into it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addPcm, PcmQueue, scalePcm } from '../../tui/audio/pcm-queue.js';

const pcm = (...samples: number[]): Buffer => Buffer.from(Int16Array.from(samples).buffer);
const samples = (buffer: Buffer): number[] =>
  Array.from({ length: buffer.length / 2 }, (_, i) => buffer.readInt16LE(2 * i));

describe('PcmQueue', () => {
  it('hands out bytes in order across the buffers pushed, as many as asked or as there are', () => {
    const queue = new PcmQueue();
    queue.push(pcm(1, 2));
    queue.push(pcm());
    queue.push(pcm(3, 4, 5));
    assert.equal(queue.length, 10);
    assert.deepEqual(samples(queue.take(2)), [1]);
    assert.deepEqual(samples(queue.take(4)), [2, 3]);
    assert.deepEqual(samples(queue.take(100)), [4, 5]);
    assert.equal(queue.length, 0);
    assert.equal(queue.take(4).length, 0);
  });

  it('trims the oldest bytes, and clears', () => {
    const queue = new PcmQueue();
    for (const value of [1, 2, 3, 4]) queue.push(pcm(value));
    queue.trim(4);
    assert.deepEqual(samples(queue.take(8)), [3, 4]);
    queue.push(pcm(9));
    queue.clear();
    assert.equal(queue.length, 0);
  });
});

describe('addPcm', () => {
  const table: Array<[string, number[], number[], number[]]> = [
    ['adds sample by sample', [1000, -1000], [10, 20], [1010, -980]],
    ['clips at the top and the bottom', [30000, -30000], [5000, -5000], [32767, -32768]],
    ['a shorter overlay leaves the rest of the music', [1, 2, 3], [10], [11, 2, 3]],
    ['a longer overlay plays on over silence', [1], [10, 20, 30], [11, 20, 30]],
    ['no music: the overlay alone', [], [7, 8], [7, 8]],
  ];
  for (const [name, music, overlay, expected] of table) {
    it(name, () => assert.deepEqual(samples(addPcm(pcm(...music), pcm(...overlay))), expected));
  }
  it('leaves its inputs as they were', () => {
    const music = pcm(1, 2);
    addPcm(music, pcm(5, 5));
    assert.deepEqual(samples(music), [1, 2]);
  });
});

describe('scalePcm', () => {
  it('scales and rounds; a gain of 1 hands back the same buffer', () => {
    assert.deepEqual(samples(scalePcm(pcm(1000, -1001, 3), 0.2)), [200, -200, 1]);
    assert.deepEqual(samples(scalePcm(pcm(32767, -32768), 0)), [0, 0]);
    const same = pcm(5);
    assert.equal(scalePcm(same, 1), same);
  });
});
