/**
 * Plays through PulseAudio (or PipeWire's pulse server) with `pacat`, raw PCM on its stdin, at a
 * latency chosen here, which speaker's ALSA output (a fixed half second in the device) cannot do:
 *
 * - The device holds only a short lead (200 ms; 60 ms in a call); the rest of what the player
 *   wrote waits here, in memory that is dropped at once.
 * - A flush or a pause kills pacat (PulseAudio drops what its stream held) and swaps in a spare
 *   started beforehand in the same format: new sound waits for no process and no connection (it
 *   waits stopped meanwhile, see PacatStream).
 * - A second stream (a call's voice) is taken as the device is fed, and mixed in with the music's
 *   gain (volume, ducking) applied: both are heard at once, not behind the music written ahead,
 *   and the voice is paced by the device's clock (while it is set the device never runs dry).
 *
 * The clock is PulseAudio's (pacat -v reports the stream's playback position, see PacatClock):
 * what was written to a pacat and not yet played is what the device holds, wherever it waits (the
 * pipe, pacat, the server), so a stream that starts late or stalls builds no hidden delay. A pacat
 * that never reports falls back to a model draining by the wall clock.
 */
import { FillerSpans } from './filler-spans.js';
import { PacatStream } from './pacat-stream.js';
import { addPcm, PcmQueue, scalePcm } from './pcm-queue.js';
import { AHEAD_SECONDS, type AudioSink, type PcmFormat, type VoiceSource } from './sink.js';

/** Our lead is at least what PulseAudio buffers for the stream (pacat-stream.ts, STREAM_LATENCY_MS). */
const MUSIC_LEAD_MS = 200;
const CALL_LEAD_MS = 60;
/**
 * The device is topped up to its lead this many times per lead: it holds at least two thirds of
 * it (40 ms in a call, PulseAudio's own buffer) when fed; in a call a feed each 20 ms, a voice frame.
 */
const FEEDS_PER_LEAD = 3;
const SPARE_RETRY_MS = 5000;
/** A pacat silent about its clock this long after it started is taken not to tell it. */
const CLOCK_WAIT_MS = 2000;
/**
 * With nothing to play for this long, the pacats go: each wakes 20 times a second to report its
 * clock (1.4% of a core for the player and 0.35% each, idle, measured), and the next sound costs
 * only a new one's start.
 */
const IDLE_RELEASE_MS = 10_000;

export class PulseSink implements AudioSink {
  readonly name = 'PulseAudio (pacat)';
  private format: PcmFormat = { sampleRate: 44100, channels: 2 };
  private current: PacatStream | undefined;
  private spare: PacatStream | undefined;
  private readonly music = new PcmQueue();
  private voice: VoiceSource | undefined;
  /** Bytes fed to the current stream since the last open or flush, and what of them the device still holds. */
  private fed = 0;
  /** Where in `fed` a voice played over no music. */
  private readonly filler = new FillerSpans();
  private inDevice = 0;
  private lastTick = 0;
  private leadMs = MUSIC_LEAD_MS;
  private gain = 1;
  private paused = false;
  private closed = false;
  /** Goes up on every open and flush: a drain waits for the audio of its own generation only. */
  private generation = 0;
  /** When a spare last died on its own: not started again for a while (a server that refuses clients). */
  private spareFailedAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];

  /** @param onFailure told when pacat cannot play (no server, the server went away) */
  constructor(
    private readonly onFailure: (error: Error) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly idleReleaseMs = IDLE_RELEASE_MS,
  ) {}

  /** Starts pacat (and its spare) now: the first play then waits for no process or connection. */
  warm(format: PcmFormat = this.format): void {
    this.setFormat(format);
    this.current ??= this.spawn();
    this.spare ??= this.spawnSpare();
    if (!this.timer) this.releaseLater();
  }

  async open(format: PcmFormat): Promise<void> {
    this.setFormat(format);
    this.flush();
  }

  write(pcm: Buffer): Promise<void> {
    this.music.push(pcm);
    // Fed now, not at the next tick: a song's first piece is short (tens of ms), and a device fed
    // only that ran dry before a tick 50 ms later brought the rest (a dropout at each start).
    if (this.timer) this.feed();
    else this.run();
    return this.room();
  }

  setVoice(voice: VoiceSource | undefined): void {
    this.voice = voice;
    if (voice) this.run();
  }

  setGain(gain: number): void {
    this.gain = gain;
  }

  lowLatency(on: boolean): void {
    this.leadMs = on ? CALL_LEAD_MS : MUSIC_LEAD_MS;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.run();
    }
  }

  pause(): void {
    this.advance();
    this.paused = true;
    this.dropDevice();
  }

  resume(): void {
    this.paused = false;
    this.run();
  }

  flush(): void {
    this.music.clear();
    this.advance();
    this.dropDevice();
    this.fed = 0;
    this.filler.clear();
    this.generation++;
    this.wake();
  }

  playedFrames(): number {
    this.advance();
    return Math.floor(this.musicPlayed() / (2 * this.format.channels));
  }

  async drain(): Promise<void> {
    const generation = this.generation;
    // A flush or a close ends the wait as well.
    while (
      !this.closed &&
      generation === this.generation &&
      (this.music.length > 0 || this.musicPlayed() < this.fed - this.filler.total)
    ) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.releaseTimer);
    this.timer = undefined;
    for (const pacat of [this.current, this.spare]) pacat?.kill();
    this.current = this.spare = undefined;
    this.wake();
  }

  /** Bytes of music played since the last open or flush (what the device played, less voice over silence). */
  private musicPlayed(): number {
    const played = this.fed - this.inDevice;
    return played - this.filler.within(played);
  }

  private byteRate(): number {
    return this.format.sampleRate * this.format.channels * 2;
  }

  private setFormat(format: PcmFormat): void {
    if (format.sampleRate === this.format.sampleRate && format.channels === this.format.channels) return;
    this.advance();
    this.dropDevice();
    this.current?.kill();
    this.spare?.kill();
    this.current = this.spare = undefined;
    this.format = format;
  }

  /** Silence now: the stream that holds sound is killed and the spare takes its place. */
  private dropDevice(): void {
    this.fed -= this.inDevice;
    this.filler.truncate(this.fed);
    if (this.inDevice === 0 || !this.current) return;
    this.inDevice = 0;
    this.current.kill();
    this.current = this.spare;
    this.spare = undefined;
    this.current?.wake();
  }

  /** What the device holds, brought up to now: by pacat's clock, else by the wall clock. */
  private advance(): void {
    const now = performance.now();
    const pacat = this.current;
    const unplayed = pacat?.unplayed(now);
    if (unplayed !== undefined) {
      this.inDevice = unplayed;
    } else if (pacat && now - pacat.startedAt < CLOCK_WAIT_MS) {
      this.inDevice = pacat.written; // still connecting: nothing played yet
    } else if (!this.paused) {
      this.inDevice = Math.max(0, this.inDevice - Math.floor(((now - this.lastTick) / 1000) * this.byteRate()));
    }
    this.lastTick = now;
  }

  /** Feeds the device while there is anything to feed or play out; the timer stops when idle. */
  private run(): void {
    if (this.timer || this.closed) return;
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.feed(), this.leadMs / FEEDS_PER_LEAD);
    this.feed();
  }

  private feed(): void {
    this.advance();
    if (!this.paused) {
      this.current ??= this.spawn();
      if (!this.spare && performance.now() - this.spareFailedAt > SPARE_RETRY_MS) this.spare = this.spawnSpare();
      const frame = 2 * this.format.channels;
      const want = Math.floor(((this.leadMs / 1000) * this.byteRate() - this.inDevice) / frame) * frame;
      if (this.current.ready && want > 0) {
        const music = scalePcm(this.music.take(want), this.gain);
        let pcm = music;
        if (this.voice) {
          pcm = addPcm(music, this.voice.read(want, this.format));
          this.filler.add(this.fed + music.length, this.fed + want);
        }
        if (pcm.length > 0) {
          this.current.write(pcm);
          this.fed += pcm.length;
          this.inDevice += pcm.length;
        }
      }
    }
    if (this.music.length < AHEAD_SECONDS * this.byteRate()) this.wake();
    if (this.paused || (this.music.length === 0 && !this.voice && this.inDevice === 0)) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.wake();
      this.releaseLater();
    }
  }

  /** Nothing to play: the pacats go after a while (see IDLE_RELEASE_MS); the next feed starts new ones. */
  private releaseLater(): void {
    clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = undefined;
      if (this.timer || this.closed) return;
      this.advance();
      this.dropDevice();
      for (const pacat of [this.current, this.spare]) pacat?.kill();
      this.current = this.spare = undefined;
      this.inDevice = 0;
    }, this.idleReleaseMs);
    this.releaseTimer.unref();
  }

  private spawnSpare(): PacatStream {
    const spare = this.spawn();
    spare.hold();
    return spare;
  }

  private spawn(): PacatStream {
    return new PacatStream(this.format, this.env, (pacat, reason) => {
      if (this.spare === pacat) {
        this.spare = undefined;
        this.spareFailedAt = performance.now();
      }
      if (this.current !== pacat || this.closed) return;
      this.current = undefined;
      this.close();
      this.onFailure(new Error(`pacat: ${reason}`));
    });
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
