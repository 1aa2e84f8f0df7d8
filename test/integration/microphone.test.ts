/**
 * The call microphone through a real PulseAudio server whose default source is a 440 Hz sine:
 * `parec`, or `arecord` through ALSA's pulse plugin, in a child, 20 ms frames of 48 kHz mono, and
 * the tone in them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FRAME_SAMPLES } from '../../tui/audio/opus-codec.js';
import { openMicrophone, resolveMicrophone } from '../../tui/calls/microphone.js';
import { pulseNullSink, toneFrequencyInStretches, type PulseNullSink } from '../helpers/audio-env.js';
import { until } from '../helpers/log-capture.js';

let pulse: PulseNullSink;
before(async () => {
  pulse = await pulseNullSink({ sineHz: 440 });
});
after(() => pulse.stop());

describe('the microphone', () => {
  it('auto takes PulseAudio when a server answers, and none means none', () => {
    assert.equal(resolveMicrophone('auto', { ...process.env, ...pulse.env }), 'pulse');
    assert.equal(resolveMicrophone('none'), 'none');
  });

  // ALSA's default is PulseAudio here (the server's HOME has an .asoundrc saying so): arecord
  // records the same source through libasound2-plugins, as on a desktop without parec.
  for (const kind of ['pulse', 'alsa'] as const)
    it(`${kind}: gives 20 ms frames of 48 kHz mono holding what the source says`, async () => {
      const frames: Int16Array[] = [];
      const errors: string[] = [];
      const mic = openMicrophone(
        kind,
        (frame) => frames.push(frame),
        (text) => errors.push(text),
        { ...process.env, ...pulse.env },
      );
      try {
        await until('a second of frames', () => (frames.length >= 60 ? true : undefined), 10_000);
      } finally {
        mic.stop();
      }
      assert.deepEqual(errors, []);
      assert.ok(frames.every((frame) => frame.length === FRAME_SAMPLES));
      const joined = new Int16Array(50 * FRAME_SAMPLES);
      frames.slice(10, 60).forEach((frame, i) => joined.set(frame, i * FRAME_SAMPLES));
      const hz = toneFrequencyInStretches(joined);
      assert.ok(Math.abs(hz - 440) < 5, `${hz.toFixed(1)} Hz`);
      assert.ok(mic.level() > 0.05, `level ${mic.level()}`);
    });

  it('says once why it cannot record (a server that is not there)', async () => {
    const errors: string[] = [];
    const mic = openMicrophone(
      'pulse',
      () => {},
      (text) => errors.push(text),
      { ...process.env, PULSE_SERVER: 'unix:/nonexistent/socket' },
    );
    await until('the error', () => (errors.length > 0 ? true : undefined), 10_000);
    mic.stop();
    assert.equal(errors.length, 1);
    assert.match(errors[0] as string, /^microphone \(PulseAudio \(parec\)\): /);
  });
});
