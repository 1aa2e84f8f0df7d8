/**
 * Two rooms on one PulseAudio server, recorded on one timeline: two mono remap sinks (`lead`,
 * `follow`) onto the left and the right channel of one null sink (`rooms`), whose monitor one
 * parec records. A player picks its room with PULSE_SINK; the recording's left channel is what the
 * first room heard, its right channel the second, sample for sample at the same moments.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { encodeWav } from '../../daemon/demo/encode.js';
import { recordSink, startPulseServer, type Recording } from './audio-env.js';

export const ROOM_RATE = 44100;

export interface TwoRooms {
  /** The environment of a player in each room. */
  lead: Record<string, string>;
  follow: Record<string, string>;
  /** Starts recording both rooms (16-bit stereo: left the lead room, right the follow room). */
  record(): Promise<Recording>;
  stop(): void;
}

export async function twoRooms(): Promise<TwoRooms> {
  const { home, env, server } = await startPulseServer([
    `load-module module-null-sink sink_name=rooms rate=${ROOM_RATE} channels=2 channel_map=front-left,front-right`,
    'load-module module-remap-sink sink_name=lead master=rooms channels=1 channel_map=mono master_channel_map=front-left remix=no',
    'load-module module-remap-sink sink_name=follow master=rooms channels=1 channel_map=mono master_channel_map=front-right remix=no',
    'set-default-sink rooms',
  ]);
  let recorder: ChildProcess | undefined;
  return {
    lead: { ...env, PULSE_SINK: 'lead' },
    follow: { ...env, PULSE_SINK: 'follow' },
    async record() {
      const recording = await recordSink(env, home, 'rooms.monitor', ROOM_RATE, 2);
      recorder = recording.process;
      return recording;
    },
    stop() {
      recorder?.kill();
      server.kill();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** RMS of each 1 ms (44 frames) of one channel of 16-bit stereo PCM, from frame `from` for `count` windows. */
function envelope(pcm: Buffer, which: 0 | 1, from: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let sum = 0;
    for (let i = 0; i < 44; i++) {
      const at = (from + k * 44 + i) * 4 + which * 2;
      const v = at + 1 < pcm.length && at >= 0 ? pcm.readInt16LE(at) : 0;
      sum += v * v;
    }
    out[k] = Math.sqrt(sum / 44);
  }
  return out;
}

/**
 * How far the right channel (the follower) is behind the left (the leader) around second
 * `atSecond`, in ms (negative: ahead), by normalized cross-correlation of their 1 ms loudness
 * envelopes over `windowSeconds` (robust to the single frames a follower drops or repeats, which
 * decorrelate raw noise), searched within ±`maxMs` and refined between windows by a parabola
 * through the peak; with the correlation's strength (1: the same shape). undefined when a room is silent.
 */
export function roomOffset(
  pcm: Buffer,
  atSecond: number,
  windowSeconds = 1,
  maxMs = 300,
): { ms: number; strength: number } | undefined {
  const lags = Math.round(maxMs);
  const count = Math.round(windowSeconds * 1000);
  const from = Math.round(atSecond * ROOM_RATE);
  if ((from + (count + lags) * 44) * 4 > pcm.length || from - lags * 44 < 0) return undefined;
  const lead = envelope(pcm, 0, from, count);
  const follow = envelope(pcm, 1, from - lags * 44, count + 2 * lags);
  const mean = (v: Float64Array, start: number): number => {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += v[start + i] as number;
    return sum / count;
  };
  const leadMean = mean(lead, 0);
  if (leadMean < 100) return undefined;
  const score = (lag: number): number => {
    const start = lags + lag;
    const followMean = mean(follow, start);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < count; i++) {
      const x = (lead[i] as number) - leadMean;
      const y = (follow[start + i] as number) - followMean;
      sxy += x * y;
      sxx += x * x;
      syy += y * y;
    }
    return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
  };
  if (mean(follow, lags) < 100 && mean(follow, 0) < 100) return undefined;
  let best = 0;
  let bestScore = -Infinity;
  const scores = new Map<number, number>();
  for (let lag = -lags; lag <= lags; lag++) {
    const s = score(lag);
    scores.set(lag, s);
    if (s > bestScore) [best, bestScore] = [lag, s];
  }
  const before = scores.get(best - 1);
  const after = scores.get(best + 1);
  let refined = best;
  if (before !== undefined && after !== undefined) {
    const curve = before - 2 * bestScore + after;
    if (curve < 0) refined = best + (0.5 * (before - after)) / curve;
  }
  return { ms: refined, strength: bestScore };
}

/** A song that cross-correlates sharply: noise bursts of varied length, level and spacing, stereo 16-bit WAV. */
export function burstsWav(seconds: number, seed = 7): Buffer {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const frames = seconds * ROOM_RATE;
  const samples = new Int16Array(frames);
  let at = 0;
  while (at < frames) {
    const length = Math.round((0.02 + random() * 0.08) * ROOM_RATE);
    const level = 4000 + random() * 8000;
    for (let i = 0; i < length && at + i < frames; i++) samples[at + i] = Math.round((random() * 2 - 1) * level);
    at += length + Math.round((0.03 + random() * 0.15) * ROOM_RATE);
  }
  return encodeWav({ sampleRate: ROOM_RATE, channels: [samples, samples] });
}

/**
 * A song that is never silent and cross-correlates sharply: noise whose level steps every 20 to
 * 100 ms between 3,000 and 12,000 (16-bit), stereo WAV; with its mono samples, to find a recording in it.
 */
export function levelsSong(seconds: number, seed = 11): { wav: Buffer; samples: Int16Array } {
  let state = seed;
  // In 32-bit integer arithmetic (Math.imul): a product in doubles loses its low bits, and the sequence falls into a short cycle.
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const samples = new Int16Array(seconds * ROOM_RATE);
  for (let at = 0; at < samples.length;) {
    const length = Math.round((0.02 + random() * 0.08) * ROOM_RATE);
    const level = 3000 + random() * 9000;
    for (let i = 0; i < length && at + i < samples.length; i++)
      samples[at + i] = Math.round((random() * 2 - 1) * level);
    at += length;
  }
  return { wav: encodeWav({ sampleRate: ROOM_RATE, channels: [samples, samples] }), samples };
}

/** RMS of each 1 ms of mono samples. */
function monoEnvelope(samples: Int16Array): Float64Array {
  const out = new Float64Array(Math.floor(samples.length / 44));
  for (let k = 0; k < out.length; k++) {
    let sum = 0;
    for (let i = 0; i < 44; i++) sum += (samples[k * 44 + i] as number) ** 2;
    out[k] = Math.sqrt(sum / 44);
  }
  return out;
}

/** Where each room last and first sounded: the 1 ms windows over `floor` RMS, in seconds of the recording. */
export function soundSpan(pcm: Buffer, which: 0 | 1, floor = 300): { first: number; last: number } | undefined {
  const all = envelope(pcm, which, 0, Math.floor(pcm.length / 4 / 44));
  let first = -1;
  let last = -1;
  for (let k = 0; k < all.length; k++)
    if ((all[k] as number) > floor) {
      if (first < 0) first = k;
      last = k;
    }
  return first < 0 ? undefined : { first: first / 1000, last: (last + 1) / 1000 };
}

/** The longest run of 1 ms windows at or under `floor` RMS in one room between two seconds of the recording, ms. */
export function longestSilenceMs(pcm: Buffer, which: 0 | 1, fromSecond: number, toSecond: number, floor = 300): number {
  const all = envelope(pcm, which, Math.round(fromSecond * ROOM_RATE), Math.round((toSecond - fromSecond) * 1000));
  let longest = 0;
  let run = 0;
  for (const level of all) {
    run = level > floor ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * Where in `song` one room of the recording is at second `atSecond`: the song's second heard then
 * (1 ms loudness envelopes matched by normalized cross-correlation over `windowSeconds`, refined by
 * a parabola), the room's level against the song's (1: as the song is), and the match's strength.
 */
export function placeInSong(
  pcm: Buffer,
  which: 0 | 1,
  atSecond: number,
  song: Int16Array,
  windowSeconds = 1,
): { songSecond: number; gain: number; strength: number } {
  const count = Math.round(windowSeconds * 1000);
  const heard = envelope(pcm, which, Math.round(atSecond * ROOM_RATE), count);
  const source = monoEnvelope(song);
  const heardMean = heard.reduce((a, b) => a + b, 0) / count;
  let heardVar = 0;
  for (const v of heard) heardVar += (v - heardMean) ** 2;
  const score = (lag: number): number => {
    let mean = 0;
    for (let i = 0; i < count; i++) mean += source[lag + i] as number;
    mean /= count;
    let sxy = 0;
    let syy = 0;
    for (let i = 0; i < count; i++) {
      const y = (source[lag + i] as number) - mean;
      sxy += ((heard[i] as number) - heardMean) * y;
      syy += y * y;
    }
    return heardVar === 0 || syy === 0 ? 0 : sxy / Math.sqrt(heardVar * syy);
  };
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = 0; lag + count <= source.length; lag++) {
    const s = score(lag);
    if (s > bestScore) [best, bestScore] = [lag, s];
  }
  let refined = best;
  if (best > 0 && best + count < source.length) {
    const [before, after] = [score(best - 1), score(best + 1)];
    const curve = before - 2 * bestScore + after;
    if (curve < 0) refined = best + (0.5 * (before - after)) / curve;
  }
  let heardSum = 0;
  let sourceSum = 0;
  for (let i = 0; i < count; i++) {
    heardSum += heard[i] as number;
    sourceSum += source[best + i] as number;
  }
  return { songSecond: refined / 1000, gain: heardSum / sourceSum, strength: bestScore };
}
