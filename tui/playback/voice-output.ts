/**
 * Where a call's voice goes in playback: to a sink that takes it as its device plays (VoiceFeed),
 * or, for a sink that cannot, paced by the wall clock (VoiceClock) and laid over the music by the
 * mixer, or played alone in its own format when no music plays.
 */
import { FRAME_SAMPLES, VOICE_RATE } from '../audio/opus-codec.js';
import type { AudioSink, PcmFormat, VoiceFrames } from '../audio/sink.js';
import type { Mixer } from './mixer.js';
import { VoiceClock } from './voice-clock.js';
import { VoiceFeed } from './voice-feed.js';
import { VoiceResampler } from './voice-resampler.js';

/** A call's voice played alone (no music): the sink opened in the voice's own format. */
const VOICE_FORMAT: PcmFormat = { sampleRate: VOICE_RATE, channels: 1 };

/** What the voice needs to know of playback when it lays itself: whether a call runs, whether music plays. */
export interface VoiceContext {
  inCall(): boolean;
  musicPlaying(): boolean;
  sink(): AudioSink;
}

export class VoiceOutput {
  private resampler: VoiceResampler | undefined;
  private frames: VoiceFrames | undefined;
  private clock: VoiceClock | undefined;

  constructor(
    private readonly mixer: Mixer,
    private readonly context: VoiceContext,
  ) {}

  /** The call's voice, from when it starts (its frames) to when it ends (undefined). */
  set(frames: VoiceFrames | undefined): void {
    this.frames = frames;
    this.attach();
  }

  /** To the sink there is now (a new one, or the voice changed). */
  attach(): void {
    this.clock?.stop();
    this.clock = undefined;
    this.resampler = undefined;
    const frames = this.frames;
    const sink = this.context.sink();
    if (sink.setVoice) sink.setVoice(frames && new VoiceFeed(frames, VOICE_RATE, FRAME_SAMPLES));
    else if (frames) this.clock = new VoiceClock(frames, (frame) => this.lay(frame));
  }

  /** The music's format changed (a new song, a call's start or end): the next frame is resampled anew. */
  formatChanged(): void {
    this.resampler = undefined;
  }

  /** 20 ms of voice for a sink that cannot take it itself: laid over the music, else played alone in its own format. */
  private lay(frame: Int16Array): void {
    if (!this.context.inCall()) return;
    const music = this.context.musicPlaying();
    const format = music ? this.mixer.format : VOICE_FORMAT;
    if (this.resampler?.format !== format) {
      this.resampler = new VoiceResampler(VOICE_RATE, format);
      if (!music) void this.mixer.open(VOICE_FORMAT);
    }
    const pcm = this.resampler.convert(frame);
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    if (music) this.mixer.lay(bytes);
    else void this.context.sink().write(bytes);
  }
}
