/** Where decoded audio goes: a sound device (through a child process) or nowhere, in real time. */

export interface PcmFormat {
  sampleRate: number;
  channels: 1 | 2;
}

/**
 * 16-bit little-endian interleaved PCM in, played at the format's rate. The player's clock is
 * `playedFrames()`: the audio actually consumed, not the wall clock.
 */
export interface AudioSink {
  readonly name: string;
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
   * Mixes `pcm` (16-bit, the opened format) into what the device plays next, ahead of any music
   * waiting (a call's voice). A sink without it gets it mixed into the music as the music is written.
   */
  lay?(pcm: Buffer): void;
  /**
   * The music's gain (0-1: volume, ducking), applied as the device is fed, so that it is heard at
   * once. A sink without it gets the music scaled as it is written.
   */
  setGain?(gain: number): void;
  /** Keeps the device's lead short (a call) or lets it be long (music only, fewer wake-ups). */
  lowLatency?(on: boolean): void;
}

/** Seconds of audio a sink lets the player write ahead of what has been played. */
export const AHEAD_SECONDS = 0.5;
