/** The call's Opus settings (libopus-wasm): what goes out in speech and in silence (DTX). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVoiceDecoder, createVoiceEncoder, FRAME_SAMPLES, VOICE_RATE } from '../../tui/audio/opus-codec.js';
import { rms } from '../helpers/audio-env.js';

const tone = (frame: number): Int16Array => {
  const out = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < FRAME_SAMPLES; i++)
    out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frame * FRAME_SAMPLES + i)) / VOICE_RATE));
  return out;
};

describe('voice Opus', () => {
  it('sends every frame of speech, and in a pause keeps frames back, 400 ms at most (DTX)', async () => {
    const encoder = await createVoiceEncoder();
    const decoder = await createVoiceDecoder();
    const spoken = Array.from({ length: 50 }, (_, f) => encoder.encode(tone(f)));
    assert.ok(
      spoken.every((packet) => packet !== undefined && packet.length > 2),
      'a packet for each frame of the tone',
    );
    const heard = spoken.map((packet) => decoder.decode(packet as Uint8Array));
    assert.ok(rms(heard[49] as Int16Array) > 2000, 'and it decodes');
    const pause = Array.from({ length: 200 }, () => encoder.encode(new Int16Array(FRAME_SAMPLES)));
    const sent = pause.flatMap((packet, f) => (packet ? [f] : []));
    assert.ok(sent.length >= 10 && sent.length <= 25, `${sent.length} of 200 frames of silence sent`);
    const gaps = sent.slice(1).map((f, i) => f - (sent[i] as number));
    assert.ok(
      Math.max(...gaps) - 1 <= 20,
      `the longest run kept back: ${Math.max(...gaps) - 1} frames (400 ms at most)`,
    );
    assert.ok(encoder.encode(tone(0)), 'speech again: sent at once');
    encoder.close();
    decoder.close();
  });
});
