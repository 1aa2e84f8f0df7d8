import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toInt16, toInt32 } from '../../common/audio/pcm.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { outputBits } from '../../tui/audio/decoder.js';

describe('float samples to integers', () => {
  const to16: Array<[number, number]> = [
    [0, 0],
    [1, 32767],
    [-1, -32767],
    [1.5, 32767],
    [-2, -32768],
    [0.5 / 32767, 1],
    [-0.5 / 32767, -1],
    [1000 / 32767, 1000],
  ];
  for (const [value, want] of to16) it(`toInt16(${value}) is ${want}`, () => assert.equal(toInt16(value), want));

  // libFLAC's floats of a 24-bit stream are its samples over 2^23 - 1, rounded to float32.
  const to32: Array<[number, number]> = [
    [0, 0],
    [Math.fround(1069 / 8388607), 1069 * 256],
    [Math.fround(-8388608 / 8388607), -8388608 * 256],
    [Math.fround(8388607 / 8388607), 8388607 * 256],
    [Math.fround(5000001 / 8388607), 5000001 * 256],
    [Math.fround(-7777777 / 8388607), -7777777 * 256],
    [3, 8388607 * 256],
    [-3, -8388608 * 256],
  ];
  for (const [value, want] of to32) it(`toInt32(${value}) is ${want}`, () => assert.equal(toInt32(value), want));

  it('every 24-bit sample comes back exact through float32', () => {
    for (let sample = -8388608; sample <= 8388607; sample += 997)
      assert.equal(toInt32(Math.fround(sample / 8388607)), sample * 256, `${sample}`);
  });
});

describe('output bits', () => {
  const song = (bits?: number): SongInfo => ({
    id: 1,
    file: 'a.flac',
    duration: 1,
    format: 'flac',
    sampleRate: 96000,
    channels: 2,
    bytes: 1,
    blocks: 1,
    etag: '0123456789abcdef',
    ...(bits === undefined ? {} : { bits }),
  });
  const cases: Array<[string, number | undefined, boolean, 16 | 32]> = [
    ['24 bits to a sink that takes 32', 24, true, 32],
    ['24 bits to a sink of 16', 24, false, 16],
    ['16 bits stay 16', 16, true, 16],
    ['no bits (lossy) stay 16', undefined, true, 16],
    ['32-bit WAV to a sink that takes 32', 32, true, 32],
  ];
  for (const [name, bits, takes, want] of cases) it(name, () => assert.equal(outputBits(song(bits), takes), want));
});
