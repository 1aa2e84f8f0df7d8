import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { integratedLoudness, kWeighting, LoudnessMeter } from '../../common/audio/loudness.js';

/** A stereo sine of 997 Hz (as EBU Tech 3341 uses) at `dbfs` peak, `seconds` long. */
function sine(rate: number, seconds: number, dbfs: number, frequency = 997): Float32Array {
  const amplitude = 10 ** (dbfs / 20);
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / rate);
  return out;
}

/** Feeds `channel` to both sides in uneven pieces, as decoders hand them out. */
function measure(rate: number, parts: Float32Array[]): LoudnessMeter {
  const meter = new LoudnessMeter(rate, 2);
  for (const part of parts) {
    for (let at = 0, step = 1; at < part.length; at += step, step = (step * 7 + 13) % 5000) {
      const piece = part.subarray(at, Math.min(part.length, at + step));
      meter.add([piece, piece], piece.length);
    }
  }
  return meter;
}

describe('loudness (BS.1770-4, EBU R128)', () => {
  it("gives BS.1770's K-weighting coefficients at 48 kHz", () => {
    const [shelf, highPass] = kWeighting(48_000);
    const table: Array<[number, number]> = [
      [shelf.b0, 1.53512485958697],
      [shelf.b1, -2.69169618940638],
      [shelf.b2, 1.19839281085285],
      [shelf.a1, -1.69065929318241],
      [shelf.a2, 0.73248077421585],
      [highPass.a1, -1.99004745483398],
      [highPass.a2, 0.99007225036621],
    ];
    for (const [got, want] of table) assert.ok(Math.abs(got - want) < 1e-7, `${got} for ${want}`);
  });

  // EBU Tech 3341's test signals that need no file: tones at a level, and gating.
  const cases: Array<[string, number, Array<[seconds: number, dbfs: number]>, number]> = [
    ['-23 dBFS for 20 s is -23 LUFS', 48_000, [[20, -23]], -23],
    ['-33 dBFS for 20 s is -33 LUFS', 48_000, [[20, -33]], -33],
    ['at 44.1 kHz too', 44_100, [[20, -23]], -23],
    ['at 96 kHz too', 96_000, [[10, -23]], -23],
    [
      'the absolute gate: -36, -23, -36 dBFS for 10, 60, 10 s',
      48_000,
      [
        [10, -36],
        [60, -23],
        [10, -36],
      ],
      -23,
    ],
    [
      'the relative gate: -72, -36, -23, -36, -72 dBFS',
      48_000,
      [
        [10, -72],
        [10, -36],
        [60, -23],
        [10, -36],
        [10, -72],
      ],
      -23,
    ],
    [
      'the relative gate lets -26 and -20 dBFS through: -26, -20, -26 for 20, 20.1, 20 s',
      48_000,
      [
        [20, -26],
        [20.1, -20],
        [20, -26],
      ],
      -23,
    ],
  ];
  for (const [name, rate, parts, lufs] of cases) {
    it(name, () => {
      const meter = measure(
        rate,
        parts.map(([seconds, dbfs]) => sine(rate, seconds, dbfs)),
      );
      assert.ok(Math.abs(meter.loudness() - lufs) <= 0.1, `${meter.loudness().toFixed(2)} LUFS`);
    });
  }

  it('the sample peak is the largest magnitude', () => {
    const meter = measure(48_000, [sine(48_000, 1, -6)]);
    assert.ok(Math.abs(meter.peak() - 10 ** (-6 / 20)) < 1e-3);
  });

  it('silence, and less than one 400 ms block, have no loudness', () => {
    assert.equal(measure(48_000, [new Float32Array(48_000)]).loudness(), -Infinity);
    assert.equal(measure(48_000, [sine(48_000, 0.39, -10)]).loudness(), -Infinity);
    assert.equal(measure(48_000, [sine(48_000, 0.4, -10)]).blocks().length, 1);
  });

  it("an album's loudness is its songs' blocks together, not the mean of their loudness", () => {
    const loud = measure(48_000, [sine(48_000, 30, -20)]);
    const quiet = measure(48_000, [sine(48_000, 10, -26)]);
    const album = integratedLoudness([loud.blocks(), quiet.blocks()]);
    const asOne = measure(48_000, [sine(48_000, 30, -20), sine(48_000, 10, -26)]).loudness();
    assert.ok(Math.abs(album - asOne) < 0.05, `${album} for ${asOne}`);
    assert.ok(album > (loud.loudness() + quiet.loudness()) / 2 + 0.5);
  });

  it('a mono song is measured on its one channel', () => {
    const meter = new LoudnessMeter(48_000, 1);
    const tone = sine(48_000, 10, -20);
    meter.add([tone], tone.length);
    assert.ok(Math.abs(meter.loudness() - -23) <= 0.1, `${meter.loudness()}`);
  });
});
