/**
 * Loudness as ITU-R BS.1770-4 and EBU R128 define it: K-weighted mean square over 400 ms blocks
 * that overlap by 75 %, gated at -70 LUFS and then 10 LU under the ungated loudness. Pure and
 * streaming: a song is fed as it is decoded, and what is kept is one number per 100 ms (an hour is
 * 280 KiB), from which a track's loudness and an album's (every block of its songs together) come.
 */

/** A second-order IIR section, a*y = b*x with a0 = 1. */
interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/**
 * The K-weighting's two stages at `sampleRate`: a high shelf (+4 dB above about 1.5 kHz, the head)
 * and a high pass (RLB, below about 40 Hz). BS.1770 gives their coefficients at 48 kHz only; these
 * are the analogue prototypes it was made from, through the bilinear transform with the centre
 * frequency prewarped, which gives the standard's coefficients at 48 kHz to within 1e-8.
 */
export function kWeighting(sampleRate: number): [Biquad, Biquad] {
  const shelfK = Math.tan((Math.PI * 1681.974450955533) / sampleRate);
  const shelfQ = 0.7071752369554196;
  const vh = 10 ** (3.999843853973347 / 20);
  const vb = vh ** 0.4996667741545416;
  const shelfA0 = 1 + shelfK / shelfQ + shelfK * shelfK;
  const shelf: Biquad = {
    b0: (vh + (vb * shelfK) / shelfQ + shelfK * shelfK) / shelfA0,
    b1: (2 * (shelfK * shelfK - vh)) / shelfA0,
    b2: (vh - (vb * shelfK) / shelfQ + shelfK * shelfK) / shelfA0,
    a1: (2 * (shelfK * shelfK - 1)) / shelfA0,
    a2: (1 - shelfK / shelfQ + shelfK * shelfK) / shelfA0,
  };
  const passK = Math.tan((Math.PI * 38.13547087602444) / sampleRate);
  const passQ = 0.5003270373238773;
  const passA0 = 1 + passK / passQ + passK * passK;
  const highPass: Biquad = {
    b0: 1,
    b1: -2,
    b2: 1,
    a1: (2 * (passK * passK - 1)) / passA0,
    a2: (1 - passK / passQ + passK * passK) / passA0,
  };
  return [shelf, highPass];
}

/** BS.1770's loudness of a mean square (of K-weighted samples, summed over channels). */
export const loudnessOf = (meanSquare: number): number => -0.691 + 10 * Math.log10(meanSquare);

const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;
const ABSOLUTE_GATE = 10 ** ((ABSOLUTE_GATE_LUFS + 0.691) / 10);

/**
 * Integrated loudness (LUFS) of the gating blocks given, however many songs they come from
 * (an album's loudness is its songs' blocks together, not the mean of their loudness).
 * -Infinity when every block is under the absolute gate (silence, or shorter than 400 ms).
 */
export function integratedLoudness(blockLists: readonly Float64Array[]): number {
  let sum = 0;
  let count = 0;
  for (const blocks of blockLists) {
    for (const energy of blocks) {
      if (energy > ABSOLUTE_GATE) {
        sum += energy;
        count++;
      }
    }
  }
  if (count === 0) return -Infinity;
  const relativeGate = (sum / count) * 10 ** (RELATIVE_GATE_LU / 10);
  sum = 0;
  count = 0;
  for (const blocks of blockLists) {
    for (const energy of blocks) {
      if (energy > ABSOLUTE_GATE && energy > relativeGate) {
        sum += energy;
        count++;
      }
    }
  }
  return count === 0 ? -Infinity : loudnessOf(sum / count);
}

/** ReplayGain 2.0's reference: a song at -18 LUFS is played as it is. */
export const REPLAY_GAIN_REFERENCE_LUFS = -18;

/**
 * Measures one song fed as decoded float channels. Channels past the second are not measured:
 * the player plays the first two of a file that has more, and this measures what it plays.
 */
export class LoudnessMeter {
  private readonly filters: [Biquad, Biquad];
  /** Per channel: x1, x2 and y1, y2 of each stage, then the shelf's output into the high pass. */
  private readonly state: Float64Array[];
  private readonly stepSamples: number;
  /** K-weighted squares summed over channels, per 100 ms step; the four last make a gating block. */
  private readonly steps = [0, 0, 0, 0];
  private stepFill = 0;
  private stepsDone = 0;
  private blockCount = 0;
  private blockEnergies = new Float64Array(1024);
  private samplePeak = 0;

  constructor(
    sampleRate: number,
    private readonly channels: number,
  ) {
    this.filters = kWeighting(sampleRate);
    this.state = Array.from({ length: Math.min(channels, 2) }, () => new Float64Array(8));
    this.stepSamples = Math.round(sampleRate / 10);
  }

  /** `frames` samples of each channel (channel 1 missing on a mono song). */
  add(channelData: readonly Float32Array[], frames: number): void {
    const measured = this.state.length;
    const [shelf, pass] = this.filters;
    let peak = this.samplePeak;
    let at = 0;
    while (at < frames) {
      const take = Math.min(frames - at, this.stepSamples - this.stepFill);
      let squares = 0;
      for (let c = 0; c < measured; c++) {
        const input = channelData[c] as Float32Array;
        const s = this.state[c] as Float64Array;
        let x1 = s[0] as number;
        let x2 = s[1] as number;
        let y1 = s[2] as number;
        let y2 = s[3] as number;
        let u1 = s[4] as number;
        let u2 = s[5] as number;
        let z1 = s[6] as number;
        let z2 = s[7] as number;
        for (let i = at; i < at + take; i++) {
          const x = input[i] as number;
          const magnitude = x < 0 ? -x : x;
          if (magnitude > peak) peak = magnitude;
          const y = shelf.b0 * x + shelf.b1 * x1 + shelf.b2 * x2 - shelf.a1 * y1 - shelf.a2 * y2;
          x2 = x1;
          x1 = x;
          y2 = y1;
          y1 = y;
          const z = pass.b0 * y + pass.b1 * u1 + pass.b2 * u2 - pass.a1 * z1 - pass.a2 * z2;
          u2 = u1;
          u1 = y;
          z2 = z1;
          z1 = z;
          squares += z * z;
        }
        s.set([x1, x2, y1, y2, u1, u2, z1, z2]);
      }
      this.steps[this.stepsDone % 4] = (this.steps[this.stepsDone % 4] as number) + squares;
      this.stepFill += take;
      at += take;
      if (this.stepFill === this.stepSamples) this.endStep();
    }
    this.samplePeak = peak;
  }

  private endStep(): void {
    this.stepsDone++;
    this.stepFill = 0;
    if (this.stepsDone >= 4) {
      const [a, b, c, d] = this.steps as [number, number, number, number];
      this.pushBlock((a + b + c + d) / (4 * this.stepSamples));
    }
    this.steps[this.stepsDone % 4] = 0;
  }

  private pushBlock(energy: number): void {
    if (this.blockCount === this.blockEnergies.length) {
      const grown = new Float64Array(this.blockCount * 2);
      grown.set(this.blockEnergies);
      this.blockEnergies = grown;
    }
    this.blockEnergies[this.blockCount++] = energy;
  }

  /** The mean square of each whole gating block so far (a partial block at the end does not count). */
  blocks(): Float64Array {
    return this.blockEnergies.subarray(0, this.blockCount);
  }

  /** Integrated loudness in LUFS; -Infinity for silence. */
  loudness(): number {
    return integratedLoudness([this.blocks()]);
  }

  /** The largest sample magnitude (1 = full scale). */
  peak(): number {
    return this.samplePeak;
  }
}
