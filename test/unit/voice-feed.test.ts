/** What a sink pulls a call's voice through, and how it tells music from the voice over silence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FillerSpans } from '../../tui/audio/filler-spans.js';
import { VoiceFeed } from '../../tui/playback/voice-feed.js';

describe('VoiceFeed', () => {
  it('gives exactly the bytes asked for, frames as they come and silence when there are none, in the format asked', () => {
    const frames = [Int16Array.of(100, 200), undefined, Int16Array.of(300, 400)];
    let pulled = 0;
    const feed = new VoiceFeed(
      { nextFrame: () => (pulled++ < frames.length ? frames[pulled - 1] : undefined) },
      8000,
      2,
    );
    const mono = { sampleRate: 8000, channels: 1 } as const;
    const first = feed.read(6, mono);
    assert.equal(first.length, 6);
    assert.deepEqual(
      Array.from(new Int16Array(first.buffer, first.byteOffset, 3)),
      [100, 200, 0],
      'a frame, then silence for the one that did not come',
    );
    assert.equal(pulled, 2, 'no frame taken before it is needed');
    const rest = feed.read(4, mono);
    assert.deepEqual(Array.from(new Int16Array(rest.buffer, rest.byteOffset, 2)), [0, 300]);
    const stereo = feed.read(8, { sampleRate: 8000, channels: 2 });
    assert.equal(stereo.length, 8, 'a new format: what was ready in the old one is dropped');
  });
});

describe('FillerSpans', () => {
  it('counts the filler among what was played, merging spans that touch', () => {
    const spans = new FillerSpans();
    spans.add(100, 200);
    spans.add(200, 250);
    spans.add(400, 400); // empty: nothing
    spans.add(500, 600);
    assert.equal(spans.total, 250);
    assert.equal(spans.within(50), 0);
    assert.equal(spans.within(150), 50);
    assert.equal(spans.within(300), 150);
    assert.equal(spans.within(550), 200);
    assert.equal(spans.within(1000), 250);
  });

  it('forgets what was dropped unplayed (what the device held at a pause or flush)', () => {
    const spans = new FillerSpans();
    spans.add(0, 100);
    spans.add(300, 500);
    assert.equal(spans.within(350), 150);
    spans.truncate(400);
    assert.equal(spans.total, 200);
    assert.equal(spans.within(400), 200);
    spans.add(400, 450);
    spans.truncate(420);
    assert.equal(spans.within(1000), 220, 'the span written again, cut where the drop was');
    spans.clear();
    assert.equal(spans.within(1000), 0);
  });
});
