import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateBucket, RateBuckets } from '../../common/rate-bucket.js';

describe('the rate bucket', () => {
  it('gives its burst at once, then its rate', () => {
    const bucket = new RateBucket(2, 3); // 3 at once, then 2 a second
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.take(1000)),
      [true, true, true, false],
    );
    assert.equal(bucket.waitSeconds(1000), 0.5);
    assert.equal(bucket.take(1400), false, '0.8 of a token');
    assert.equal(bucket.take(1500), true);
    assert.equal(bucket.take(5000), true);
    assert.ok(bucket.full(7000), 'full again after a quiet while, never over');
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.take(7000)),
      [true, true, true, false],
    );
  });

  it('ignores a clock that goes back', () => {
    const bucket = new RateBucket(1, 1);
    assert.equal(bucket.take(10_000), true);
    assert.equal(bucket.take(5_000), false);
    assert.equal(bucket.take(10_500), false);
    assert.equal(bucket.take(11_000), true);
  });

  it('keeps one bucket per key, and forgets the full ones when there are many', () => {
    const buckets = new RateBuckets(1, 1);
    assert.equal(buckets.take('a', 0), true);
    assert.equal(buckets.take('a', 0), false);
    assert.equal(buckets.has('a', 0), false);
    assert.equal(buckets.has('never seen', 0), true);
    assert.equal(buckets.take('b', 0), true);
    for (let i = 0; i < 2000; i++) buckets.take(`k${i}`, 10_000 + i);
    assert.equal(buckets.take('a', 10_000), true, 'a refilled meanwhile');
  });
});
