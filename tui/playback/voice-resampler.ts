/**
 * A call's voice (48 kHz mono) to the music's format (44.1 kHz stereo, say), by linear
 * interpolation: plenty for speech, and cheap. The phase carries from one 20 ms frame to the next,
 * so that frames join without a click. Pure.
 */
import type { PcmFormat } from '../audio/sink.js';

export class VoiceResampler {
  /** Position in the input of the next output sample, relative to the current frame's start. */
  private phase = 0;
  private last = 0;

  constructor(
    private readonly inputRate: number,
    readonly format: PcmFormat,
  ) {}

  /** Interleaved 16-bit PCM in `format`. */
  convert(frame: Int16Array): Int16Array {
    const step = this.inputRate / this.format.sampleRate;
    // Positions up to the last sample only: between it and the next frame's first is the next call's.
    const count = Math.max(0, Math.ceil((frame.length - 1 - this.phase) / step));
    const out = new Int16Array(count * this.format.channels);
    let position = this.phase;
    for (let i = 0; i < count; i++, position += step) {
      const at = Math.floor(position);
      const fraction = position - at;
      const before = at < 0 ? this.last : (frame[at] as number);
      const after = at + 1 < frame.length ? (frame[at + 1] as number) : (frame[frame.length - 1] as number);
      const value = Math.round(before + (after - before) * fraction);
      for (let c = 0; c < this.format.channels; c++) out[i * this.format.channels + c] = value;
    }
    this.phase = position - frame.length;
    this.last = frame[frame.length - 1] ?? 0;
    return out;
  }
}
