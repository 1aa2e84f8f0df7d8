/**
 * Plays through PulseAudio (or PipeWire's pulse server), speaking its native protocol from the
 * player's own process (audio/pulse/):
 *
 * - The music's stream keeps about a second in the server (MUSIC_BUFFER), refilled twice a
 *   second when the server asks: a player that stalls for less than half a second (a busy
 *   machine, a compile, a garbage collection) is not heard. The sink's own latency stays short
 *   (20 ms), so a flush, a pause or a volume, which the server applies to what it holds, is heard
 *   at once.
 * - A call's voice is a second stream, short and asked for every 10 ms: the server mixes it over
 *   the music and paces it by the device's clock, and the music's volume (ducking) is the stream's.
 *   It holds 30 ms, more for a while after the player was held up longer (stall-headroom.ts).
 * - The clock is the server's: the stream's read index less what the sink still holds, taken
 *   when it asks for more and when the player asks, moved on by the wall clock in between.
 * - With nothing to play for a while the stream is corked: the device may sleep and nothing in
 *   the player wakes; the next sound uncorks it, a round trip, with no process to start.
 */
import { PulseClient } from './pulse/client.js';
import { PulsePlaybackStream } from './pulse/playback-stream.js';
import { volumeOfGain, type BufferAttr } from './pulse/protocol.js';
import { SampleFormat } from './pulse/tagstruct.js';
import { PcmQueue } from './pcm-queue.js';
import { StallHeadroom } from './stall-headroom.js';
import { AHEAD_SECONDS, frameBytes, type AudioSink, type PcmFormat, type VoiceSource } from './sink.js';

/**
 * The music's buffering in the server, in ms: `target` held at most, asked for in pieces of
 * `request` at least (fewer wake-ups), so it holds target - request (over half a second) when it
 * asks. Without latency flags, PulseAudio gives the device target - 2 request: 20 ms. It starts
 * once it holds 40 ms (`preBuffer`): not on a song's first few ms alone, which a player held up
 * for a moment right after could not follow in time.
 */
const MUSIC_BUFFER = { target: 1000, request: 490, preBuffer: 40 };
/**
 * The voice's: asked for every 10 ms, 30 ms held, and the device's latency 10 ms (early
 * requests). On a busy machine it holds more, up to VOICE_MAX_HELD_MS (voiceHeadroom).
 */
const VOICE_BUFFER = { target: 30, request: 10, preBuffer: 10 };
const VOICE_MAX_HELD_MS = 150;
const VOICE_FORMAT: PcmFormat = { sampleRate: 48000, channels: 1 };
/** With nothing to play for this long, the stream is corked (the device may suspend). */
const IDLE_CORK_MS = 10_000;
/** While draining, the clock is looked at this often. */
const DRAIN_POLL_MS = 20;

const bufferAttr = (ms: { target: number; request: number; preBuffer: number }, format: PcmFormat): BufferAttr => {
  const bytes = (n: number): number => Math.round((n / 1000) * format.sampleRate) * frameBytes(format);
  return {
    maxLength: 0xffffffff,
    targetLength: bytes(ms.target),
    preBuffer: bytes(ms.preBuffer),
    minRequest: bytes(ms.request),
  };
};

const specOf = (format: PcmFormat): { format: number; channels: number; rate: number } => ({
  format: format.bits === 32 ? SampleFormat.s32le : SampleFormat.s16le,
  channels: format.channels,
  rate: format.sampleRate,
});

export class PulseSink implements AudioSink {
  readonly name = 'PulseAudio';
  readonly highResolution = true;
  private format: PcmFormat = { sampleRate: 44100, channels: 2 };
  private client: Promise<PulseClient> | undefined;
  private stream: PulsePlaybackStream | undefined;
  /** The stream being opened, and for which format. */
  private opening: Promise<void> | undefined;
  private readonly music = new PcmQueue();
  private voice: { source: VoiceSource; stream?: PulsePlaybackStream } | undefined;
  /** How much the voice's stream holds: enough to outlast the player's stalls of late. */
  private readonly voiceHeadroom = new StallHeadroom(VOICE_BUFFER.target, VOICE_MAX_HELD_MS);
  private gain = 1;
  private paused = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];

  /** @param onFailure told when the server cannot be reached or goes away */
  constructor(
    private readonly onFailure: (error: Error) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly idleCorkMs = IDLE_CORK_MS,
  ) {}

  /** Connects and opens the stream now: the first play then waits for neither. */
  warm(format: PcmFormat = this.format): void {
    this.setFormat(format);
    this.ensureStream();
  }

  async open(format: PcmFormat): Promise<void> {
    this.setFormat(format);
    this.flush();
  }

  write(pcm: Buffer): Promise<void> {
    this.music.push(pcm);
    this.feed();
    return this.room();
  }

  setVoice(voice: VoiceSource | undefined): void {
    this.voice?.stream?.close();
    this.voice = voice ? { source: voice } : undefined;
    if (!voice) return;
    const holder = this.voice as { source: VoiceSource; stream?: PulsePlaybackStream };
    this.voiceHeadroom.reset(performance.now());
    const buffer = { ...VOICE_BUFFER, target: this.voiceHeadroom.targetMs };
    void this.connect()
      .then((client) =>
        PulsePlaybackStream.open(
          client,
          specOf(VOICE_FORMAT),
          bufferAttr(buffer, VOICE_FORMAT),
          { sink: this.sinkName(), volume: volumeOfGain(1), corked: false, earlyRequests: true, name: 'call' },
          {
            onRequest: () => this.feedVoice(holder),
            onUnderflow: () => this.holdVoice(holder, this.voiceHeadroom.ranDry(performance.now())),
            onEnd: (reason) => this.fail(new Error(reason)),
          },
        ),
      )
      .then((stream) => {
        if (this.voice !== holder || this.closed) return stream.close();
        holder.stream = stream;
        this.feedVoice(holder);
      })
      .catch((error: Error) => this.fail(error));
  }

  setGain(gain: number): void {
    if (gain === this.gain) return;
    this.gain = gain;
    this.stream?.setVolume(volumeOfGain(gain));
  }

  pause(): void {
    this.paused = true;
    this.stream?.cork(true);
  }

  resume(): void {
    this.paused = false;
    this.feed();
  }

  flush(): void {
    this.music.clear();
    this.stream?.flush();
    this.wake();
  }

  playedFrames(): number {
    const stream = this.stream;
    if (!stream) return 0;
    return Math.floor(stream.heardBytes(performance.now()) / frameBytes(this.format));
  }

  async drain(): Promise<void> {
    await this.opening?.catch(() => {});
    // What is left may be less than the stream's pre-buffer: it plays all the same.
    this.stream?.trigger();
    const stream = this.stream;
    while (!this.closed && stream === this.stream && (this.music.length > 0 || this.unheard() > 0)) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.stream?.close();
    this.voice?.stream?.close();
    this.stream = this.voice = undefined;
    void this.client?.then((client) => client.close()).catch(() => {});
    this.wake();
  }

  /** Bytes written to the stream since the last flush and not yet heard. */
  private unheard(): number {
    const stream = this.stream;
    return stream ? stream.written - stream.heardBytes(performance.now(), DRAIN_POLL_MS) : 0;
  }

  private setFormat(format: PcmFormat): void {
    const same = format.sampleRate === this.format.sampleRate && format.channels === this.format.channels;
    if (same && (format.bits ?? 16) === (this.format.bits ?? 16)) return;
    this.format = format;
    this.stream?.close();
    this.stream = undefined;
    this.opening = undefined;
    this.music.clear();
  }

  private connect(): Promise<PulseClient> {
    this.client ??= PulseClient.connect(this.env, 'streamtui').then((client) => {
      client.whenClosed((error) => this.fail(error));
      return client;
    });
    return this.client;
  }

  /** Opens the music's stream in the current format, once; feeds it when it is there. */
  private ensureStream(): void {
    if (this.stream || this.opening || this.closed) return;
    const format = this.format;
    const opening = this.connect()
      .then((client) =>
        PulsePlaybackStream.open(
          client,
          specOf(format),
          bufferAttr(MUSIC_BUFFER, format),
          { sink: this.sinkName(), volume: volumeOfGain(this.gain), corked: false, name: 'music' },
          {
            onRequest: () => this.feed(),
            onUnderflow: () => this.wake(),
            onEnd: (reason) => this.fail(new Error(reason)),
          },
        ),
      )
      .then((stream) => {
        if (this.opening !== opening || this.closed) return stream.close();
        this.opening = undefined;
        this.stream = stream;
        stream.setVolume(volumeOfGain(this.gain)); // the gain may have changed while it opened
        this.feed();
      })
      .catch((error: Error) => this.fail(error));
    this.opening = opening;
  }

  /** Gives the server what it asks for, from what is queued. */
  private feed(): void {
    if (this.closed) return;
    const stream = this.stream;
    if (!stream) {
      this.ensureStream();
      return;
    }
    if (!this.paused && this.music.length > 0) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      const frame = frameBytes(this.format);
      const bytes = Math.min(this.music.length, stream.requested);
      const pcm = this.music.take(bytes - (bytes % frame));
      if (pcm.length > 0) stream.write(pcm);
      // Uncorked once the sound is in: the server remixes what the device will play next when a
      // stream is uncorked, and the sound is then in that remix, not after it (after 11 s of
      // silence, key to sound 26-29 ms at the median against 20, 10 runs each).
      stream.cork(false);
    }
    if (this.music.length < AHEAD_SECONDS * this.byteRate()) this.wake();
    if (this.music.length === 0 && !this.idleTimer && !stream.isCorked) this.corkLater();
  }

  /** Nothing queued: once what it holds has played and nothing came for a while, the stream is corked. */
  private corkLater(): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.music.length === 0 && this.unheard() === 0) this.stream?.cork(true);
      else this.corkLater();
    }, this.idleCorkMs);
    this.idleTimer.unref();
  }

  private feedVoice(holder: { source: VoiceSource; stream?: PulsePlaybackStream }): void {
    const stream = holder.stream;
    if (!stream) return;
    this.holdVoice(holder, this.voiceHeadroom.fed(performance.now()));
    if (stream.requested < 2) return;
    stream.write(holder.source.read(stream.requested - (stream.requested % 2), VOICE_FORMAT));
  }

  /** The voice's stream asked to hold `ms` from now on (undefined: as it does). */
  private holdVoice(holder: { stream?: PulsePlaybackStream }, ms: number | undefined): void {
    if (ms !== undefined)
      holder.stream?.setTargetLength(bufferAttr({ ...VOICE_BUFFER, target: ms }, VOICE_FORMAT).targetLength);
  }

  /** The sink named by PULSE_SINK, as libpulse takes it for a stream that names none. */
  private sinkName(): string | undefined {
    return this.env['PULSE_SINK'] || undefined;
  }

  private byteRate(): number {
    return this.format.sampleRate * frameBytes(this.format);
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.close();
    this.onFailure(error.message.startsWith('PulseAudio') ? error : new Error(`PulseAudio: ${error.message}`));
  }

  private async room(): Promise<void> {
    while (!this.closed && this.music.length > AHEAD_SECONDS * this.byteRate()) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
