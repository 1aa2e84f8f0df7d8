import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VoiceResampler } from '../../tui/playback/voice-resampler.js';

describe('VoiceResampler', () => {
  it('turns 20 ms of 48 kHz mono into 20 ms of the music format, frame after frame, keeping the tone', () => {
    for (const [rate, channels] of [
      [44100, 2],
      [48000, 2],
      [22050, 1],
    ] as const) {
      const resampler = new VoiceResampler(48000, { sampleRate: rate, channels });
      let total = 0;
      const out: number[] = [];
      for (let f = 0; f < 50; f++) {
        const frame = Int16Array.from({ length: 960 }, (_, i) =>
          Math.round(10000 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48000)),
        );
        const converted = resampler.convert(frame);
        total += converted.length / channels;
        for (let i = 0; i < converted.length; i += channels) out.push(converted[i] as number);
        if (channels === 2) for (let i = 0; i < converted.length; i += 2) assert.equal(converted[i], converted[i + 1]);
      }
      assert.ok(Math.abs(total - rate) <= 1, `${rate} Hz: ${total} frames for 1 s`);
      let crossings = 0;
      for (let i = 1; i < out.length; i++) if ((out[i - 1] as number) < 0 !== (out[i] as number) < 0) crossings++;
      assert.ok(Math.abs(crossings / 2 - 440) <= 2, `${rate} Hz: ${crossings / 2} Hz`);
      // No click where frames join: no step larger than the tone's own slope allows.
      const slope = (2 * Math.PI * 440 * 10000) / rate;
      for (let i = 1; i < out.length; i++)
        assert.ok(
          Math.abs((out[i] as number) - (out[i - 1] as number)) <= slope * 1.05 + 2,
          `${rate} Hz: step at ${i}`,
        );
    }
  });
});
