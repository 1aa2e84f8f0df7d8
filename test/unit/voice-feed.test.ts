/** What a sink pulls a call's voice through, and how it tells music from the voice over silence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
