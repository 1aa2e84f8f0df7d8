/**
 * A small deterministic synthesizer: chord progression, bass and a melody picked by a seeded
 * random walk over a scale. It makes the demo library (and test audio) out of nothing, so a fresh
 * install has music that is ours to ship.
 */

export interface SongSpec {
  title: string;
  seconds: number;
  bpm: number;
  /** MIDI note of the key's root, e.g. 60 for C. */
  root: number;
  minor: boolean;
  seed: number;
}

export interface Pcm {
  sampleRate: number;
  /** One Int16Array per channel. */
  channels: Int16Array[];
}

const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const MINOR = [0, 2, 3, 5, 7, 8, 10];
/** I-V-vi-IV and i-VI-III-VII, as scale degrees. */
const PROGRESSION_MAJOR = [0, 4, 5, 3];
const PROGRESSION_MINOR = [0, 5, 2, 6];

/** mulberry32: a tiny seeded PRNG, so a song is the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hz = (midi: number): number => 440 * 2 ** ((midi - 69) / 12);

interface Note {
  start: number;
  length: number;
  freq: number;
  gain: number;
  pan: number;
  bright: number;
}

function compose(spec: SongSpec): Note[] {
  const rand = random(spec.seed);
  const scale = spec.minor ? MINOR : MAJOR;
  const progression = spec.minor ? PROGRESSION_MINOR : PROGRESSION_MAJOR;
  const beat = 60 / spec.bpm;
  const bar = beat * 4;
  const degree = (d: number): number => spec.root + 12 * Math.floor(d / 7) + (scale[((d % 7) + 7) % 7] as number);
  const notes: Note[] = [];
  let melody = 7;
  for (let barIndex = 0; barIndex * bar < spec.seconds; barIndex++) {
    const t0 = barIndex * bar;
    const chord = progression[barIndex % progression.length] as number;
    for (const step of [0, 2, 4]) {
      notes.push({ start: t0, length: bar, freq: hz(degree(chord + step)), gain: 0.07, pan: 0.5, bright: 0.2 });
    }
    for (let b = 0; b < 4; b++) {
      const bass = degree(chord - 7 + (b === 2 ? 4 : 0));
      notes.push({ start: t0 + b * beat, length: beat * 0.9, freq: hz(bass), gain: 0.16, pan: 0.4, bright: 0.5 });
    }
    let t = t0;
    while (t < t0 + bar - 1e-9) {
      const length = beat * ([0.5, 0.5, 1, 1, 1, 2][Math.floor(rand() * 6)] as number);
      const step = Math.floor(rand() * 5) - 2;
      melody = Math.max(4, Math.min(14, melody + step));
      if (rand() > 0.12) {
        const pan = 0.3 + 0.4 * rand();
        notes.push({
          start: t,
          length: Math.min(length, t0 + bar - t),
          freq: hz(degree(melody)),
          gain: 0.14,
          pan,
          bright: 0.8,
        });
      }
      t += length;
    }
  }
  return notes.filter((n) => n.start < spec.seconds);
}

/**
 * Renders a song to 16-bit PCM.
 *
 * @example synthesize({ title: 'x', seconds: 5, bpm: 100, root: 60, minor: false, seed: 1 }, 44100, 2)
 */
export function synthesize(spec: SongSpec, sampleRate: number, channelCount: 1 | 2): Pcm {
  const total = Math.round(spec.seconds * sampleRate);
  const left = new Float32Array(total);
  const right = new Float32Array(total);
  for (const note of compose(spec)) {
    const first = Math.round(note.start * sampleRate);
    const count = Math.min(Math.round(note.length * sampleRate), total - first);
    const w = (2 * Math.PI * note.freq) / sampleRate;
    const attack = 0.01 * sampleRate;
    const release = Math.min(0.08 * sampleRate, count / 2);
    const gainLeft = note.gain * (1 - note.pan);
    const gainRight = note.gain * note.pan;
    for (let i = 0; i < count; i++) {
      const env = Math.min(1, i / attack, (count - i) / release) * Math.exp((-1.5 * i) / sampleRate);
      const phase = w * i;
      const v =
        env * (Math.sin(phase) + note.bright * 0.3 * Math.sin(2 * phase) + note.bright * 0.12 * Math.sin(3 * phase));
      left[first + i] = (left[first + i] as number) + v * gainLeft;
      right[first + i] = (right[first + i] as number) + v * gainRight;
    }
  }
  const fade = Math.min(total, Math.round(1.5 * sampleRate));
  const toInt16 = (f: Float32Array): Int16Array => {
    const out = new Int16Array(total);
    for (let i = 0; i < total; i++) {
      const fadeGain = i >= total - fade ? (total - i) / fade : 1;
      out[i] = Math.max(-32768, Math.min(32767, Math.round((f[i] as number) * fadeGain * 32767)));
    }
    return out;
  };
  if (channelCount === 1) {
    const mono = new Float32Array(total);
    for (let i = 0; i < total; i++) mono[i] = (left[i] as number) + (right[i] as number);
    return { sampleRate, channels: [toInt16(mono)] };
  }
  return { sampleRate, channels: [toInt16(left), toInt16(right)] };
}
