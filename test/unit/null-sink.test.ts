/**
 * The silent sink: it plays in real time by a clock read when asked, and wakes the player only
 * at the moments it waits for (room for more, the end), never on a beat.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NullSink } from '../../tui/audio/null-sink.js';
import { AHEAD_SECONDS } from '../../tui/audio/sink.js';

const RATE = 8000;
const seconds = (value: number): Buffer => Buffer.alloc(Math.round(value * RATE) * 4); // stereo, 16 bits
const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('NullSink', () => {
  it('plays at the format rate, and no faster than what was written', async () => {
    const sink = new NullSink();
    await sink.open({ sampleRate: RATE, channels: 2 });
    await sink.write(seconds(0.2));
    assert.equal(sink.playedFrames(), 0);
    await sleep(100);
    const half = sink.playedFrames();
    assert.ok(half >= 0.09 * RATE && half <= 0.2 * RATE, `after 100 ms: ${half} frames`);
    await sleep(250);
    assert.equal(sink.playedFrames(), 0.2 * RATE, 'all of it, and not a frame more');
    sink.close();
  });

  it('holds a writer until the queue is below the lead, with one timer and none while nothing waits', async () => {
    const sink = new NullSink();
    await sink.open({ sampleRate: RATE, channels: 2 });
    const before = timers();
    await sink.write(seconds(AHEAD_SECONDS / 2));
    assert.equal(timers(), before, 'room left: no timer');
    const started = performance.now();
    const full = sink.write(seconds(AHEAD_SECONDS));
    assert.equal(timers(), before + 1, 'one timer, for the moment there is room');
    await full;
    // 1.5 leads queued: held until half a lead has played.
    const waited = performance.now() - started;
    assert.ok(
      waited >= (AHEAD_SECONDS / 2) * 1000 - 5 && waited < (AHEAD_SECONDS / 2) * 1000 + 300,
      `held ${waited.toFixed(0)} ms`,
    );
    assert.equal(timers(), before, 'nobody waits: no timer');
    sink.close();
  });

  it('stops its clock while paused, with no timer, and goes on from there', async () => {
    const sink = new NullSink();
    await sink.open({ sampleRate: RATE, channels: 2 });
    const before = timers();
    const held = sink.write(seconds(AHEAD_SECONDS + 0.5));
    await sleep(50);
    sink.pause();
    const at = sink.playedFrames();
    assert.equal(timers(), before, 'paused: no timer');
    await sleep(150);
    assert.equal(sink.playedFrames(), at, 'the clock stood still');
    sink.resume();
    await held;
    assert.ok(sink.playedFrames() >= 0.5 * RATE - 1);
    sink.close();
  });

  it('drains at the end of what was written, and a flush wakes writers and drains at once', async () => {
    const sink = new NullSink();
    await sink.open({ sampleRate: RATE, channels: 2 });
    const before = timers();
    await sink.write(seconds(0.1));
    const started = performance.now();
    await sink.drain();
    assert.ok(performance.now() - started >= 90, 'the drain waited for the sound to be played');
    assert.equal(sink.playedFrames(), 0.1 * RATE);

    const held = sink.write(seconds(5));
    const drained = sink.drain();
    sink.flush();
    await Promise.all([held, drained]);
    assert.equal(sink.playedFrames(), 0);
    assert.equal(timers(), before);
    sink.close();
  });
});
