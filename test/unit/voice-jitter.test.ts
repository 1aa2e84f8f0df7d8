/** The call receiver's jitter buffer, with the real Opus codec (libopus-wasm) on both sides. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  createVoiceDecoder,
  createVoiceEncoder,
  FRAME_SAMPLES,
  VOICE_RATE,
  type VoiceEncoder,
} from '../../tui/audio/opus-codec.js';
import { MAX_DEPTH_MS, MIN_DEPTH_MS, VoiceJitterBuffer } from '../../tui/calls/voice-jitter.js';
import { rms } from '../helpers/audio-env.js';

const FRAMES = 100;
/** Frames concealed after the last packet (the sender stopped, or went quiet): it may be held up. */
const TAIL = 5;
let packets: Uint8Array[];

/** 2 s of a 440 Hz tone, as 100 Opus packets of 20 ms. */
async function tonePackets(encoder: VoiceEncoder): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let f = 0; f < FRAMES; f++) {
    const frame = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < FRAME_SAMPLES; i++)
      frame[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * FRAME_SAMPLES + i)) / VOICE_RATE));
    const packet = encoder.encode(frame);
    assert.ok(packet, 'a tone is never kept back (DTX)');
    out.push(Uint8Array.from(packet));
  }
  return out;
}

/**
 * Plays `arrivals` (sequence, arrival ms, and the sender's frame when it is not the sequence
 * number) through a fresh buffer, pulling every 20 ms from 0 on: the frames played, and when each
 * was (ms).
 */
async function play(
  arrivals: Array<[number, number, number?]>,
): Promise<{ frames: Int16Array[]; times: number[]; silent: number[]; buffer: VoiceJitterBuffer }> {
  const buffer = new VoiceJitterBuffer(await createVoiceDecoder());
  const frames: Int16Array[] = [];
  const times: number[] = [];
  const silent: number[] = [];
  const sorted = [...arrivals].sort((a, b) => a[1] - b[1]);
  const end = Math.max(FRAMES * 20, ...arrivals.map(([, arrival]) => arrival)) + 500;
  let at = 0;
  for (let now = 0; now < end; now += 20) {
    while (at < sorted.length && (sorted[at] as [number, number])[1] <= now) {
      const [sequence, arrival, frame = sequence] = sorted[at] as [number, number, number?];
      buffer.push(sequence, frame * FRAME_SAMPLES, packets[sequence % FRAMES] as Uint8Array, arrival);
      at++;
    }
    const frame = buffer.pull(now);
    if (frame) {
      frames.push(frame);
      times.push(now);
    } else silent.push(now);
  }
  return {
    frames,
    times,
    silent: silent.filter((at) => at > (times[0] ?? Infinity) && at < (times.at(-1) ?? 0)),
    buffer,
  };
}

before(async () => {
  packets = await tonePackets(await createVoiceEncoder());
});

describe('VoiceJitterBuffer', () => {
  it('plays packets in order, one 20 ms frame each, after the minimum depth', async () => {
    const { frames, buffer } = await play(packets.map((_, i) => [i, i * 20]));
    assert.equal(frames.length, FRAMES + TAIL);
    assert.ok(frames.every((frame) => frame.length === FRAME_SAMPLES));
    const tail = frames.slice(FRAMES).map((frame) => rms(frame));
    assert.ok(
      tail.every((level, i) => i === 0 || level <= (tail[i - 1] as number)),
      `the tail fades: ${tail.map((level) => level.toFixed(0)).join(' ')}`,
    );
    assert.deepEqual(buffer.counts, { received: FRAMES, lost: 0, recovered: 0, late: 0, duplicate: 0, corrupt: 0 });
    assert.equal(buffer.depthMs, MIN_DEPTH_MS);
  });

  it('keeps time through loss: a lost frame comes from the next packet’s FEC, or is concealed, exactly 20 ms', async () => {
    // Every 10th packet lost; and 50-51 both lost (50 is concealed: 51 is not there to carry it).
    const lost = new Set([...Array.from({ length: 10 }, (_, i) => i * 10 + 5), 50, 51]);
    const { frames, buffer } = await play(
      packets.map((_, i): [number, number] => [i, i * 20]).filter(([i]) => !lost.has(i)),
    );
    assert.equal(frames.length, FRAMES + TAIL, 'not a frame more or less than was sent');
    assert.equal(buffer.counts.lost, lost.size);
    assert.equal(buffer.counts.recovered, lost.size - 1, 'all but 50 from FEC');
    // The tone goes on: no frame after the first few falls silent.
    const quiet = frames.slice(3, -TAIL).filter((frame) => rms(frame) < 1000).length;
    assert.equal(quiet, 0, `${quiet} near-silent frames`);
  });

  it('reorders what comes out of order, refuses late and duplicate packets; a late one is not counted lost', async () => {
    const arrivals: Array<[number, number]> = packets.map((_, i) => [i, i * 20]);
    arrivals[30] = [30, 30 * 20 + 30]; // 30 ms late: still before its turn
    arrivals[60] = [60, 60 * 20 + 400]; // far too late: its frame was played without it (from 61's FEC)
    arrivals.splice(80, 1); // never comes: lost
    arrivals.push([70, 70 * 20 + 5]); // a duplicate while 70 waits
    arrivals.push([20, 90 * 20]); // a duplicate of one long played
    const { frames, buffer } = await play(arrivals);
    assert.equal(frames.length, FRAMES + TAIL);
    assert.equal(buffer.counts.late, 1, '60');
    assert.equal(buffer.counts.duplicate, 2);
    assert.equal(buffer.counts.lost, 1, 'only 80');
    assert.equal(buffer.counts.recovered, 1, '80 from 81’s FEC; 60 was too, but it came');
    assert.equal(buffer.playedWithout, 2, 'the listener missed 60 and 80');
  });

  it('takes a sender quiet in silence (DTX): its clock jumps, its sequence runs on; silence, not loss, and each talkspurt starts at the depth', async () => {
    // Talkspurts of 20 frames, 30 frames of silence between (sent: none), and one comfort packet
    // alone in a silence. Each packet arrives 5 ms after its time.
    const arrivals: Array<[number, number, number]> = [];
    const spurts = [0, 50, 100];
    for (const [n, first] of spurts.entries())
      for (let i = 0; i < 20; i++) arrivals.push([n * 21 + i, (first + i) * 20 + 5, first + i]);
    for (const [n, first] of [
      [0, 35],
      [1, 85],
    ] as const)
      arrivals.push([n * 21 + 20, first * 20 + 5, first]);
    const { frames, times, buffer } = await play(arrivals);
    assert.equal(buffer.counts.lost, 0, 'nothing was lost');
    assert.equal(buffer.counts.received, 62);
    // A few frames concealed after each talkspurt and comfort packet: Opus's comfort noise, fading.
    assert.equal(frames.length, 62 + 5 * TAIL);
    // Each talkspurt's first frame plays at the first pull its depth (40 ms) after it came (5 ms
    // late): 60 ms after its time, whatever the silence before it.
    const delays = spurts.map((first) => (times.find((t) => t >= first * 20) as number) - first * 20);
    assert.deepEqual(delays, [60, 60, 60]);
  });

  it('plays a jump in the clock between packets held as silence, in time', async () => {
    // Frame 10 was not sent (DTX); packet 10 is frame 11, there before its turn.
    const arrivals: Array<[number, number, number]> = packets.map((_, i): [number, number, number] =>
      i < 10 ? [i, i * 20, i] : [i, (i + 1) * 20 - 30, i + 1],
    );
    const { frames, times, buffer } = await play(arrivals);
    assert.equal(buffer.counts.lost, 0);
    assert.equal(frames.length, FRAMES + TAIL);
    const gap = times.findIndex((t, i) => i > 0 && t - (times[i - 1] as number) > 20);
    assert.equal(gap, 10, 'one frame of silence, where frame 10 would have been');
    assert.equal((times[10] as number) - (times[9] as number), 40);
  });

  it('run dry by loss or lateness, plays on where it was: the missing from FEC or concealed, the tone unbroken', async () => {
    // 20 lost and 21-22 held up: nothing is there when 20's turn comes.
    const arrivals = packets
      .map((_, i): [number, number] => [i, i === 21 || i === 22 ? 470 : i * 20])
      .filter(([i]) => i !== 20);
    const { frames, silent, buffer } = await play(arrivals);
    assert.equal(buffer.counts.lost, 1);
    assert.equal(buffer.counts.late, 0);
    assert.equal(
      frames.length,
      FRAMES + TAIL + 1,
      'every frame, 20 a turn late, and one concealed while none was there',
    );
    assert.deepEqual(silent, [], 'no silence from the first frame to the last');
    // Two concealed in a row (while it waited, then 20 itself): Opus fades the second.
    const quiet = frames.slice(3, -TAIL).filter((frame) => rms(frame) < 1000).length;
    assert.ok(quiet <= 1, `${quiet} near-silent frames`);
  });

  it('after a burst of loss longer than its depth, drops back to its depth: the burst counted lost', async () => {
    const lost = new Set([20, 21, 22, 23, 24]);
    const { frames, buffer } = await play(
      packets.map((_, i): [number, number] => [i, i * 20]).filter(([i]) => !lost.has(i)),
    );
    assert.equal(buffer.counts.lost, 5);
    assert.equal(buffer.counts.recovered, 1, '24 from 25’s FEC');
    assert.equal(buffer.playedWithout, 5);
    // 20-22's turns come before 25 does: concealed; then 20-23 are skipped to keep to the depth.
    assert.equal(frames.length, FRAMES + 3 - 4 + TAIL);
  });

  it('holds a bounded number of packets from a peer that sends faster than it speaks', async () => {
    const buffer = new VoiceJitterBuffer(await createVoiceDecoder());
    for (let i = 0; i < 400; i++) buffer.push(i, i * FRAME_SAMPLES, packets[i % FRAMES] as Uint8Array, 0);
    assert.ok(buffer.counts.late >= 400 - 64, `${buffer.counts.late} refused`);
    let played = 0;
    while (played <= 400 && buffer.pull(1000)) played++;
    assert.ok(played <= 64, `${played} frames held`);
  });

  it('after an output that stalled, drops back to its depth at once: one skip, then frames in order', async () => {
    const buffer = new VoiceJitterBuffer(await createVoiceDecoder());
    let played = 0;
    for (let i = 0; i < 5; i++) {
      buffer.push(i, i * FRAME_SAMPLES, packets[i] as Uint8Array, i * 20);
      if (buffer.pull(i * 20)) played++;
    }
    assert.equal(played, 3, 'playing after 40 ms');
    // The output takes nothing for 600 ms while the voice keeps coming.
    for (let i = 5; i < 35; i++) buffer.push(i, i * FRAME_SAMPLES, packets[i] as Uint8Array, i * 20);
    assert.ok(buffer.pull(700));
    const skipped = buffer.counts.late;
    assert.ok(skipped >= 25, `${skipped} dropped in one go`);
    for (let now = 720; buffer.pull(now); now += 20);
    assert.equal(buffer.counts.late, skipped, 'no more after');
    assert.equal(buffer.counts.received + buffer.counts.late, 35);
  });

  it('deepens to how late a sender held up on a busy machine sends: the first stall concealed, the next as long not heard', async () => {
    // The sender is held up 120 ms twice: 30-35 come with 36, and 60-65 with 66.
    const held = (i: number): number => (i >= 30 && i < 36 ? 36 * 20 : i >= 60 && i < 66 ? 66 * 20 : i * 20);
    const { frames, silent, buffer } = await play(packets.map((_, i) => [i, held(i)]));
    assert.deepEqual(silent, [], 'no silence from the first frame to the last');
    assert.ok(buffer.depthMs >= 140, `depth ${buffer.depthMs} ms: the lateness and a frame`);
    assert.deepEqual([buffer.counts.lost, buffer.counts.late], [0, 0], 'every packet played');
    // 30's turn to 36's: four frames concealed while it waited (no silence), none at 60.
    assert.equal(frames.length, FRAMES + 4 + TAIL);
    const quiet = frames.slice(3, FRAMES + 4).filter((frame) => rms(frame) < 1000).length;
    assert.equal(quiet, 0, `${quiet} near-silent frames`);
  });

  it('comes back to its minimum depth once no packet has been late for ten seconds', async () => {
    const buffer = new VoiceJitterBuffer(await createVoiceDecoder());
    const late = (i: number): number => (i >= 30 && i < 36 ? 36 * 20 : i * 20);
    for (let i = 0; i < 600; i++) {
      buffer.push(i, i * FRAME_SAMPLES, packets[i % FRAMES] as Uint8Array, late(i));
      buffer.pull(i * 20);
      if (i === 40) assert.ok(buffer.depthMs >= 140, `depth ${buffer.depthMs} ms after the stall`);
    }
    assert.equal(buffer.depthMs, MIN_DEPTH_MS);
  });

  it('deepens with jitter, up to its maximum', async () => {
    // Arrivals spread over ±60 ms around their time.
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const { buffer } = await play(packets.map((_, i) => [i, i * 20 + 60 + Math.round((random() - 0.5) * 120)]));
    assert.ok(buffer.jitterMs > 10, `jitter ${buffer.jitterMs.toFixed(1)} ms`);
    assert.ok(buffer.depthMs > MIN_DEPTH_MS && buffer.depthMs <= MAX_DEPTH_MS, `depth ${buffer.depthMs} ms`);
  });
});
