/** Where decoded audio goes: a sound device (through a child process) or nowhere, in real time. */

export interface PcmFormat {
  sampleRate: number;
  channels: 1 | 2;
  /**
   * Bits of each sample as written: 16 (the default), or 32 for a song of more than 16 bits
   * (24-bit FLAC, WAV or ALAC: its samples in the top 24 bits), to a sink that takes them.
   */
  bits?: 16 | 32;
}

/** Bytes of one frame (a sample of every channel) in `format`. */
export const frameBytes = (format: PcmFormat): number => (format.bits === 32 ? 4 : 2) * format.channels;

/**
 * Little-endian interleaved PCM in (16-bit, or 32-bit where the format says so), played at the
 * format's rate. The player's clock is `playedFrames()`: the audio actually consumed, not the
 * wall clock.
 */
export interface AudioSink {
  readonly name: string;
  /**
   * It takes 32-bit PCM (`bits: 32`) to its device as it is, and applies the gain and mixes the
   * voice itself (`setGain`, `setVoice`): songs of more than 16 bits are written to it whole.
   */
  readonly highResolution?: boolean;
  open(format: PcmFormat): Promise<void>;
  /** Resolves once the sink has room for more (backpressure: about a second is queued at most). */
  write(pcm: Buffer): Promise<void>;
  /** Silences at once. A sink may drop what its device held: the player resumes with `play` from the position. */
  pause(): void;
  resume(): void;
  /** Drops what is queued; the clock starts again from 0. */
  flush(): void;
  /** Frames played since the last open or flush. */
  playedFrames(): number;
  /** Resolves when everything written has been played (or the sink was flushed). */
  drain(): Promise<void>;
  close(): void;
  /**
   * A second stream (a call's voice) that the sink takes as its device needs it and mixes over
   * the music: the device's clock paces it, and the device never runs dry while it is set. A sink
   * without it gets the voice mixed into the music as the music is written.
   */
  setVoice?(voice: VoiceSource | undefined): void;
  /**
   * The music's gain (0-1: volume, ducking), applied as the device is fed, so that it is heard at
   * once. A sink without it gets the music scaled as it is written.
   */
  setGain?(gain: number): void;
  /** Keeps the device's lead short (a call) or lets it be long (music only, fewer wake-ups). */
  lowLatency?(on: boolean): void;
}

/** A call's voice as the output takes it: 20 ms frames of 48 kHz mono, undefined when there is none to play now. */
export interface VoiceFrames {
  nextFrame(): Int16Array | undefined;
}

/** A stream a sink pulls from: exactly `bytes` of 16-bit PCM in `format` on each read (silence when it has nothing). */
export interface VoiceSource {
  read(bytes: number, format: PcmFormat): Buffer;
}

/** Seconds of audio a sink lets the player write ahead of what has been played. */
export const AHEAD_SECONDS = 0.5;
