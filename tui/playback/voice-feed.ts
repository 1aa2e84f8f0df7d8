/**
 * A call's voice as the sink's device asks for it: 20 ms frames of 48 kHz mono taken from the
 * jitter buffer one at a time as the device plays (its clock paces the playout, as a sound card's
 * callback does in a VoIP client), resampled to whatever format the sink is open in. Nothing to
 * play yet (the buffer fills, the other side is quiet) is silence: the device keeps running and the
 * delay stays what the jitter buffer chose.
 */
import { PcmQueue } from '../audio/pcm-queue.js';
import type { PcmFormat, VoiceFrames, VoiceSource } from '../audio/sink.js';
import { VoiceResampler } from './voice-resampler.js';

export class VoiceFeed implements VoiceSource {
  private resampler: VoiceResampler | undefined;
  private readonly ready = new PcmQueue();
  private readonly silence: Int16Array;

  constructor(
    private readonly frames: VoiceFrames,
    private readonly inputRate: number,
    frameSamples: number,
  ) {
    this.silence = new Int16Array(frameSamples);
  }

  read(bytes: number, format: PcmFormat): Buffer {
    if (this.resampler?.format.sampleRate !== format.sampleRate || this.resampler.format.channels !== format.channels) {
      this.resampler = new VoiceResampler(this.inputRate, format);
      this.ready.clear(); // in the old format
    }
    while (this.ready.length < bytes) {
      const pcm = this.resampler.convert(this.frames.nextFrame() ?? this.silence);
      this.ready.push(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    }
    return this.ready.take(bytes);
  }
}
