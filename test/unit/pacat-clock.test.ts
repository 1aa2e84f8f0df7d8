/** PulseAudio's playback position as `pacat -v` tells it, read from its stderr as it comes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacatClock } from '../../tui/audio/pacat-clock.js';

// What pacat 16 writes on stderr with -v: messages end in \n, the clock's line in \r (a terminal line rewritten).
const OPENING = [
  "Opening a playback stream with sample specification 's16le 1ch 48000Hz' and channel map 'mono'.\n",
  'Connection established.\x1b[K\n',
  'Stream successfully created.\n',
  'Buffer metrics: maxlength=4194304, tlength=2880, prebuf=1922, minreq=960\n',
].join('');
const time = (seconds: string, latency = 30000): string => `Time: ${seconds} sec; Latency: ${latency} usec.        \r`;

describe('PacatClock', () => {
  it('knows nothing until the first report, and tells the other lines back', () => {
    const clock = new PacatClock();
    assert.deepEqual(clock.take(OPENING, 0), [
      "Opening a playback stream with sample specification 's16le 1ch 48000Hz' and channel map 'mono'.",
      'Connection established.',
      'Stream successfully created.',
      'Buffer metrics: maxlength=4194304, tlength=2880, prebuf=1922, minreq=960',
    ]);
    assert.equal(clock.known, false);
    assert.equal(clock.playedSeconds(1000), 0);
  });

  it('a stream not yet started stays where it was reported, whatever the wall clock', () => {
    const clock = new PacatClock();
    assert.deepEqual(clock.take(time('0.000', 0) + time('0.000'), 50), []);
    assert.equal(clock.known, true);
    assert.equal(clock.playedSeconds(2000), 0, 'the sink has not started it (a null sink wakes up to 2 s late)');
  });

  it('a started stream moves on by the wall clock from its last report, and stops at an underrun', () => {
    const clock = new PacatClock();
    clock.take('Stream started.\x1b[K\n', 100);
    clock.take(time('0.028', 32137), 128);
    assert.equal(clock.playedSeconds(128), 0.028);
    assert.ok(Math.abs(clock.playedSeconds(178) - 0.078) < 1e-9);
    clock.take(time('0.078'), 178);
    clock.take('Stream underrun.\x1b[K\n', 190);
    assert.equal(clock.reportedSeconds, 0.078);
    assert.equal(clock.playedSeconds(5000), 0.078, 'ran dry: no further');
    assert.equal(clock.playing, false);
    assert.equal(clock.underruns, 1);
    clock.take('Stream started.\x1b[K\n' + time('0.090'), 6000);
    assert.ok(Math.abs(clock.playedSeconds(6010) - 0.1) < 1e-9, 'and on again once restarted');
    assert.equal(clock.playing, true);
  });

  it('a stream held stopped played nothing meanwhile: once started it runs on from its waking, not from its last report', () => {
    const clock = new PacatClock();
    clock.take(time('0.000', 0), 50); // connected, then stopped as a spare
    clock.heldUntil(30_000); // woken 30 s later
    clock.take('Stream started.\x1b[K\n', 30_010); // before its next report
    assert.ok(Math.abs(clock.playedSeconds(30_020) - 0.02) < 1e-9, `played ${clock.playedSeconds(30_020)} s`);
  });

  it('reads a line split across two chunks, and lines that are not its own', () => {
    const clock = new PacatClock();
    assert.deepEqual(clock.take('Time: 1.2', 10), []);
    assert.equal(clock.known, false, 'half a line is not a report');
    assert.deepEqual(clock.take('50 sec; Latency: 40000 usec.        \rGot EOF.\n', 20), ['Got EOF.']);
    assert.equal(clock.playedSeconds(20), 1.25);
    assert.deepEqual(clock.take('Connection failure: Connection refused\n', 30), [
      'Connection failure: Connection refused',
    ]);
    assert.deepEqual(
      clock.take('Time: soon sec; Latency: 1 usec.\r', 40),
      ['Time: soon sec; Latency: 1 usec.'],
      'not a clock line: told back',
    );
    assert.equal(clock.reportedSeconds, 1.25);
  });
});
