/** The mixer: music at its volume, a second stream over it with the music ducked; pure mixing table-tested. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioSink, PcmFormat } from '../../tui/audio/sink.js';
import { DUCK_GAIN, Mixer, mix, OVERLAY_MAX_SECONDS } from '../../tui/playback/mixer.js';

const pcm = (...samples: number[]): Buffer => Buffer.from(Int16Array.from(samples).buffer);
const samples = (buffer: Buffer): number[] =>
  Array.from(new Int16Array(buffer.buffer, buffer.byteOffset, buffer.length / 2));

class RecordingSink implements AudioSink {
  readonly name = 'recording';
  written: Buffer[] = [];
  flushed = 0;
  format: PcmFormat | undefined;
  async open(format: PcmFormat): Promise<void> {
    this.format = format;
  }
  async write(data: Buffer): Promise<void> {
    this.written.push(data);
  }
  pause(): void {}
  resume(): void {}
  flush(): void {
    this.flushed++;
  }
  playedFrames(): number {
    return 0;
  }
  async drain(): Promise<void> {}
  close(): void {}
}

describe('mix', () => {
  const table: Array<[number[], number, number[] | undefined, number[]]> = [
    [[1000, -1000, 5], 1, undefined, [1000, -1000, 5]],
    [[1000, -1000], 0.5, [100], [600, -500]],
    [[1000, -1000], 0.2, [10, 20, 30], [210, -180]],
    [[30000, -30000], 1, [10000, -10000], [32767, -32768]],
    [[7, 9], 0, [1, 2], [1, 2]],
  ];
  for (const [music, gain, overlay, expected] of table) {
    it(`${JSON.stringify(music)} x ${gain} + ${JSON.stringify(overlay)}`, () => {
      const before = Int16Array.from(music);
      assert.deepEqual(Array.from(mix(before, gain, overlay && Int16Array.from(overlay))), expected);
      assert.deepEqual(Array.from(before), music, 'the music is left as it was');
    });
  }
});

describe('mixer', () => {
  it('passes music through untouched at full volume, and scales it otherwise', async () => {
    const sink = new RecordingSink();
    const mixer = new Mixer(sink);
    await mixer.open({ sampleRate: 8000, channels: 1 });
    const music = pcm(100, -200, 300);
    await mixer.write(music);
    assert.equal(sink.written[0], music, 'the same buffer: no copy at full volume');
    mixer.volume = 50;
    await mixer.write(music);
    assert.deepEqual(samples(sink.written[1]!), [50, -100, 150]);
  });

  it('lays a second stream over the music, ducked, as the music passes', async () => {
    const sink = new RecordingSink();
    const mixer = new Mixer(sink);
    await mixer.open({ sampleRate: 8000, channels: 1 });
    mixer.duck(true);
    mixer.lay(pcm(1, 2, 3, 4, 5));
    await mixer.write(pcm(1000, 1000, 1000));
    await mixer.write(pcm(1000, 1000, 1000));
    const duck = 1000 * DUCK_GAIN;
    assert.deepEqual(samples(sink.written[0]!), [duck + 1, duck + 2, duck + 3]);
    assert.deepEqual(samples(sink.written[1]!), [duck + 4, duck + 5, duck], 'the rest of the voice, then music alone');
    mixer.duck(false);
    await mixer.write(pcm(1000));
    assert.deepEqual(samples(sink.written[2]!), [1000], 'back to full volume');
  });

  it('keeps at most OVERLAY_MAX_SECONDS of the second stream, dropping the oldest; flush drops it all', async () => {
    const sink = new RecordingSink();
    const mixer = new Mixer(sink);
    await mixer.open({ sampleRate: 100, channels: 1 });
    const max = OVERLAY_MAX_SECONDS * 100;
    for (let i = 0; i < 4; i++) mixer.lay(pcm(...Array.from({ length: max / 2 }, () => i + 1)));
    await mixer.write(pcm(...Array.from({ length: max + 2 }, () => 0)));
    const out = samples(sink.written[0]!);
    assert.equal(out[0], 3, 'the two oldest pieces were dropped');
    assert.equal(out[max], 0, 'nothing beyond the bound');
    mixer.lay(pcm(9));
    mixer.flush();
    assert.equal(sink.flushed, 1);
    await mixer.write(pcm(0));
    assert.deepEqual(samples(sink.written[1]!), [0]);
  });

  it('hands the gain to a sink that applies it as it feeds its device', async () => {
    const gains: number[] = [];
    const sink = Object.assign(new RecordingSink(), { setGain: (gain: number) => gains.push(gain) });
    const mixer = new Mixer(sink);
    await mixer.open({ sampleRate: 8000, channels: 1 });
    mixer.volume = 50;
    mixer.duck(true);
    const music = pcm(1000, 1000);
    await mixer.write(music);
    mixer.duck(false);
    assert.deepEqual(gains, [0.5, 0.5 * DUCK_GAIN, 0.5]);
    assert.equal(sink.written[0], music, 'the music as it is: the sink scales it');
  });
});
