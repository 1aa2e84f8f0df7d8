/**
 * The PulseAudio sink (pacat) on a private PulseAudio server, its null sink recorded with parec:
 * the sound comes out, a flush silences at once (the stream that held sound is dropped, not
 * played out), and a voice the sink takes is heard at once, not behind the music written ahead,
 * and keeps the device running. Timings are read off the recording, against sound in the same recording.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { PulseSink } from '../../tui/audio/pulse-sink.js';
import { AHEAD_SECONDS, type PcmFormat, type VoiceSource } from '../../tui/audio/sink.js';
import { pulseNullSink, type PulseNullSink } from '../helpers/audio-env.js';

const FORMAT: PcmFormat = { sampleRate: 44100, channels: 2 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function tone(seconds: number, hz: number, amplitude = 8000): Buffer {
  const frames = Math.round(seconds * FORMAT.sampleRate);
  const pcm = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / FORMAT.sampleRate));
    pcm.writeInt16LE(sample, 4 * i);
    pcm.writeInt16LE(sample, 4 * i + 2);
  }
  return pcm;
}

/** Seconds (10 ms steps) of the recording whose left channel is louder than `threshold` RMS. */
function loud(recording: Buffer, threshold = 2000): number[] {
  const step = 441;
  const out: number[] = [];
  for (let k = 0; (k + 1) * step * 4 <= recording.length; k++) {
    let sum = 0;
    for (let i = 0; i < step; i++) sum += recording.readInt16LE((k * step + i) * 4) ** 2;
    if (Math.sqrt(sum / step) > threshold) out.push(k / 100);
  }
  return out;
}

/** A voice as a sink takes it: silence until told to speak, then a tone for `seconds` once (in the format asked), then silence. */
class Speaking implements VoiceSource {
  private at = -1;
  constructor(
    private readonly seconds: number,
    private readonly hz: number,
  ) {}
  speak(): void {
    this.at = 0;
  }
  read(bytes: number, format: PcmFormat): Buffer {
    const out = Buffer.alloc(bytes);
    const frame = 2 * format.channels;
    for (let i = 0; i < bytes / frame && this.at >= 0 && this.at < this.seconds * format.sampleRate; i++, this.at++) {
      const sample = Math.round(16000 * Math.sin((2 * Math.PI * this.hz * this.at) / format.sampleRate));
      for (let c = 0; c < format.channels; c++) out.writeInt16LE(sample, i * frame + 2 * c);
    }
    return out;
  }
}

/** Writes `pcm` to the sink as a player does, in pieces, each when there is room. */
async function play(sink: PulseSink, pcm: Buffer, signal?: { stop: boolean }): Promise<void> {
  for (let at = 0; at < pcm.length && !signal?.stop; at += 16384) await sink.write(pcm.subarray(at, at + 16384));
}

describe('PulseAudio sink (native protocol)', () => {
  let pulse: PulseNullSink;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    pulse = await pulseNullSink();
    env = { ...process.env, ...pulse.env };
  });
  after(() => pulse.stop());

  it('plays what it is given, and its clock says how much was heard', async () => {
    const failures: Error[] = [];
    const sink = new PulseSink((error) => failures.push(error), env);
    const recording = await pulse.record();
    await sink.open(FORMAT);
    await play(sink, tone(1.5, 440));
    await sink.drain();
    const frames = sink.playedFrames();
    await sleep(300);
    const heard = loud(await recording.stop());
    sink.close();
    assert.deepEqual(failures, []);
    assert.equal(frames, 1.5 * FORMAT.sampleRate, 'drained: every frame played');
    const span = (heard.at(-1) as number) - (heard[0] as number);
    assert.ok(Math.abs(span - 1.5) < 0.05, `the tone lasts 1.5 s in the recording: ${span.toFixed(2)} s`);
  });

  it("a short first piece (a song's first MP3 frames) and then the rest: no dropout after it", async () => {
    const sink = new PulseSink(() => {}, env);
    sink.warm(FORMAT);
    await sleep(500);
    const recording = await pulse.record();
    await sink.open(FORMAT);
    const whole = tone(1, 440);
    // 27 ms first, as the player writes a song's first 2 KB of MP3 once the encoder delay is trimmed.
    await sink.write(whole.subarray(0, 1200 * 4));
    await play(sink, whole.subarray(1200 * 4));
    await sink.drain();
    const heard = loud(await recording.stop());
    sink.close();
    const first = heard[0] as number;
    const missing = [];
    for (let t = first; t <= (heard.at(-1) as number); t = Math.round((t + 0.01) * 100) / 100)
      if (!heard.includes(t)) missing.push(t);
    assert.deepEqual(missing, [], 'no silent 10 ms from the first sound to the last');
  });

  it('a flush silences at once: what the device held is dropped, not played out', async () => {
    const sink = new PulseSink(() => {}, env);
    sink.warm(FORMAT);
    const recording = await pulse.record();
    const signal = { stop: false };
    const playing = play(sink, tone(3, 440), signal);
    await sleep(1000);
    const playedAtFlush = sink.playedFrames() / FORMAT.sampleRate;
    sink.flush();
    signal.stop = true;
    await playing;
    await sleep(500);
    const heard = loud(await recording.stop());
    sink.close();
    const span = (heard.at(-1) as number) - (heard[0] as number);
    // Written ahead: AHEAD_SECONDS here and the lead in the device; none of it may be heard.
    assert.ok(
      span - playedAtFlush < 0.08,
      `tone heard ${span.toFixed(2)} s, ${playedAtFlush.toFixed(2)} s played at the flush (${AHEAD_SECONDS} s written ahead)`,
    );
    assert.ok(span > 0.8, `the tone played until the flush: ${span.toFixed(2)} s`);
  });

  it('a stall of the player shorter than half a second is not heard: the server holds the music', async () => {
    const sink = new PulseSink(() => {}, env);
    sink.warm(FORMAT);
    await sleep(300);
    const recording = await pulse.record();
    const playing = play(sink, tone(3, 440));
    while (sink.playedFrames() < FORMAT.sampleRate) await sleep(5);
    // The event loop blocked, as by a compile on a busy machine or a long garbage collection.
    const until = performance.now() + 450;
    while (performance.now() < until) {
      /* busy */
    }
    await playing;
    await sink.drain();
    await sleep(200);
    const heard = loud(await recording.stop());
    sink.close();
    const gaps = heard.filter((at, i) => i > 0 && at - (heard[i - 1] as number) > 0.015);
    assert.deepEqual(gaps, [], 'no silent 10 ms from the first sound to the last');
    const span = (heard.at(-1) as number) - (heard[0] as number);
    assert.ok(Math.abs(span - 3) < 0.05, `the tone lasts 3 s: ${span.toFixed(2)} s`);
  });

  it('a volume is heard at once, not after the music it holds', async () => {
    const sink = new PulseSink(() => {}, env);
    sink.warm(FORMAT);
    await sleep(300);
    const recording = await pulse.record();
    const playing = play(sink, tone(2, 440, 16000));
    while (sink.playedFrames() < FORMAT.sampleRate) await sleep(2);
    const playedAt = sink.playedFrames() / FORMAT.sampleRate;
    sink.setGain(0.05);
    await playing;
    await sink.drain();
    await sleep(200);
    const recorded = await recording.stop();
    sink.close();
    const loudAt = loud(recorded, 4000);
    const louder = (loudAt.at(-1) as number) - (loudAt[0] as number);
    assert.ok(
      louder > playedAt - 0.1 && louder < playedAt + 0.08,
      `full volume for ${louder.toFixed(2)} s, ${playedAt.toFixed(2)} s played when it was turned down`,
    );
    const quiet = loud(recorded, 200);
    assert.ok((quiet.at(-1) as number) - (loudAt.at(-1) as number) > 0.8, 'and the rest played, quieter');
  });

  it('a voice taken by the sink is heard at once, not behind the music written ahead', async () => {
    const sink = new PulseSink(() => {}, env);
    sink.warm(FORMAT);
    const recording = await pulse.record();
    // Music: quiet, with one loud click 1 s in; the voice speaks up when the clock says the click plays.
    const music = tone(3, 200, 500);
    const click = tone(0.05, 1000, 16000);
    click.copy(music, 1 * FORMAT.sampleRate * 4);
    const voice = new Speaking(0.1, 3000);
    sink.setVoice(voice);
    const playing = play(sink, music);
    while (sink.playedFrames() < FORMAT.sampleRate) await sleep(2);
    voice.speak();
    await playing;
    await sink.drain();
    sink.setVoice(undefined);
    await sleep(300);
    const heard = loud(await recording.stop());
    sink.close();
    // Two loud stretches: the click, then the voice; the gap between their starts is the voice's lag.
    const clickAt = heard[0] as number;
    const voiceEnd = heard.at(-1) as number;
    const lag = voiceEnd - 0.1 - clickAt;
    assert.ok(
      lag >= -0.03 && lag < 0.12,
      `the voice started ${(lag * 1000).toFixed(0)} ms after the click (the music was written ${AHEAD_SECONDS * 1000} ms ahead)`,
    );
  });

  it('with a voice set the device never runs dry, and the music’s clock counts the music only', async () => {
    const sink = new PulseSink(() => {}, env);
    sink.warm(FORMAT);
    const voice = new Speaking(2, 3000);
    sink.setVoice(voice);
    await sleep(300); // the voice alone at first: silence from it, the device running
    const recording = await pulse.record();
    voice.speak();
    await play(sink, tone(0.5, 440));
    await sink.drain();
    const frames = sink.playedFrames();
    await sleep(600);
    const recorded = await recording.stop();
    sink.setVoice(undefined);
    sink.close();
    const heard = loud(recorded);
    assert.equal(frames, 0.5 * FORMAT.sampleRate, 'drained when the music has played; the voice around it not counted');
    const gaps = heard.filter((at, i) => i > 0 && at - (heard[i - 1] as number) > 0.015);
    assert.deepEqual(gaps, [], 'the voice sounds without a break, through the music and after it');
    const seconds = recorded.length / (4 * FORMAT.sampleRate);
    assert.ok(
      (heard.at(-1) as number) > seconds - 0.05,
      `and on after the music ended, to the end of the recording (${(heard.at(-1) as number).toFixed(2)} of ${seconds.toFixed(2)} s)`,
    );
  });

  it('a voice through stalls of the player: once one was seen, one as long is not heard', async () => {
    const sink = new PulseSink(() => {}, env);
    sink.warm(FORMAT);
    const voice = new Speaking(3, 3000);
    sink.setVoice(voice);
    await sleep(300);
    const recording = await pulse.record();
    await sleep(200);
    const spokeAt = performance.now();
    voice.speak();
    const stall = (ms: number): number => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        /* the event loop held up, as on a busy machine */
      }
      return performance.now();
    };
    await sleep(500);
    const firstEnded = (stall(120) - spokeAt) / 1000;
    await sleep(800);
    stall(120);
    await sleep(1000);
    stall(120);
    await sleep(1000);
    const heard = loud(await recording.stop());
    sink.setVoice(undefined);
    sink.close();
    // Times from the voice's first sound: what the first stall left out is heard within the 30 ms
    // the stream held then, and the tone it held comes right after; after that, no gap.
    const first = heard[0] as number;
    const gaps = heard
      .filter((at, i) => i > 0 && at - (heard[i - 1] as number) > 0.015)
      .map((at) => at - first)
      .filter((at) => at > firstEnded + 0.1);
    assert.deepEqual(gaps, [], `no gap after the first stall (it ended ${firstEnded.toFixed(2)} s in)`);
    const span = (heard.at(-1) as number) - first;
    assert.ok(span > 2.9, `the voice to its end: ${span.toFixed(2)} s`);
  });

  it('corks its stream when it has had nothing to play for a while (the device may sleep), and plays again at once', async () => {
    const corked = (): string[] =>
      spawnSync('pactl', ['list', 'sink-inputs'], { env, encoding: 'utf8' })
        .stdout.split('\n')
        .filter((line) => /Corked:/.test(line))
        .map((line) => line.trim());
    const sink = new PulseSink(() => {}, env, 500);
    sink.warm(FORMAT);
    await play(sink, tone(0.2, 440));
    await sink.drain();
    await sleep(1000);
    assert.deepEqual(corked(), ['Corked: yes'], 'corked after the idle time');
    const recording = await pulse.record();
    await sleep(300);
    const wroteAt = recording.seconds();
    await play(sink, tone(0.5, 440));
    await sink.drain();
    await sleep(300);
    const heard = loud(await recording.stop());
    sink.close();
    assert.ok(heard.length > 40, `the tone after the idle time: ${heard.length} loud 10 ms windows`);
    assert.ok(
      (heard[0] as number) - wroteAt < 0.1,
      `heard ${((heard[0] as number) - wroteAt).toFixed(3)} s after it was written`,
    );
  });

  it('says why when it cannot play (no server)', async () => {
    const failures: Error[] = [];
    const sink = new PulseSink((error) => failures.push(error), {
      ...process.env,
      PULSE_SERVER: 'unix:/nonexistent/pulse.sock',
    });
    await sink.open(FORMAT);
    void sink.write(tone(0.2, 440));
    const deadline = Date.now() + 5000;
    while (failures.length === 0 && Date.now() < deadline) await sleep(20);
    sink.close();
    assert.equal(failures.length, 1);
    assert.match(failures[0]?.message ?? '', /^PulseAudio: .*(ENOENT|ECONNREFUSED)/);
  });
});
