/**
 * The one way into the sink (MPD's player owns its outputs the same way): music, from a song or
 * the radio, at the player's volume; and a second stream laid over it, a call's voice, with the
 * music ducked while it lasts. The second stream comes in the sink's format (its producer
 * resamples), is queued boundedly, and is mixed into the music as the music passes.
 */
import { PcmQueue } from '../audio/pcm-queue.js';
import type { AudioSink, PcmFormat } from '../audio/sink.js';

/** Music under a voice plays at this share of its volume (voice calls: 20%). */
export const DUCK_GAIN = 0.2;
/** At most this much of the second stream waits to be mixed; older audio is dropped first. */
export const OVERLAY_MAX_SECONDS = 0.5;

/** What a music source (a song, the radio) writes to: open a format, write PCM, drop what is queued. */
export interface MusicOutput {
  open(format: PcmFormat): Promise<void>;
  /** 16-bit interleaved PCM in the opened format; resolves when the sink has room for more. */
  write(pcm: Buffer): Promise<void>;
  flush(): void;
}

/**
 * `music` scaled by `gain`, plus `overlay` sample by sample from its start (it may be shorter),
 * clipped to 16 bits. A new buffer; `music` is left as it was.
 *
 * @example mix(Int16Array.of(1000, -1000), 0.5, Int16Array.of(100)) // Int16Array [600, -500]
 */
export function mix(music: Int16Array, gain: number, overlay?: Int16Array): Int16Array {
  const out = new Int16Array(music.length);
  const laid = overlay ? Math.min(overlay.length, music.length) : 0;
  for (let i = 0; i < music.length; i++) {
    const value = Math.round((music[i] as number) * gain) + (i < laid ? ((overlay as Int16Array)[i] as number) : 0);
    out[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
  }
  return out;
}

const samplesOf = (pcm: Buffer): Int16Array => new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
const bufferOf = (samples: Int16Array): Buffer => Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);

export class Mixer implements MusicOutput {
  private level = 100;
  private ducked = false;
  private opened: PcmFormat = { sampleRate: 44100, channels: 2 };
  /** The second stream, for a sink that does not mix it in itself. */
  private readonly overlay = new PcmQueue();

  constructor(private sink: AudioSink) {}

  setSink(sink: AudioSink): void {
    this.sink = sink;
    this.sink.setGain?.(this.gain());
  }

  /** 0-100. */
  get volume(): number {
    return this.level;
  }

  set volume(volume: number) {
    this.level = volume;
    this.sink.setGain?.(this.gain());
  }

  /** The format the sink was last opened in (the music's, or the voice's when it plays alone). */
  get format(): PcmFormat {
    return this.opened;
  }

  async open(format: PcmFormat): Promise<void> {
    this.opened = format;
    this.dropOverlay();
    await this.sink.open(format);
  }

  write(pcm: Buffer): Promise<void> {
    // A sink that applies the gain as it feeds its device gets the music as it is.
    const gain = this.sink.setGain ? 1 : this.gain();
    if (gain === 1 && this.overlay.length === 0) return this.sink.write(pcm);
    const overlay = this.overlay.length > 0 ? samplesOf(this.overlay.take(pcm.length)) : undefined;
    return this.sink.write(bufferOf(mix(samplesOf(pcm), gain, overlay)));
  }

  flush(): void {
    this.dropOverlay();
    this.sink.flush();
  }

  /** Music at DUCK_GAIN of its volume (on) or back to full (off). */
  duck(on: boolean): void {
    this.ducked = on;
    this.sink.setGain?.(this.gain());
  }

  private gain(): number {
    return (this.level / 100) * (this.ducked ? DUCK_GAIN : 1);
  }

  /**
   * A second stream's PCM, in the opened format, for a sink that cannot take it itself (see
   * AudioSink.setVoice): queued and mixed into the music here.
   */
  lay(pcm: Buffer): void {
    this.overlay.push(pcm);
    this.overlay.trim(OVERLAY_MAX_SECONDS * this.opened.sampleRate * this.opened.channels * 2);
  }

  private dropOverlay(): void {
    this.overlay.clear();
  }
}
