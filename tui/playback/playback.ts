/**
 * The one owner of playback: the sink, and every source that feeds it. A song (its blocks from the
 * cache, TCP or UDP behind one BlockSource) or the radio is the music; a call's voice goes over
 * it, taken by the sink at its device's pace when it can (else laid over the music by the mixer,
 * by the wall clock). Nothing else touches the sink. The clock is the sink's: the
 * audio actually played.
 *
 * Gapless: told the song that follows (setNext), playback fetches its first block ahead and, once
 * the current song's last sound is written, writes the next song's straight after it into the open
 * sink, as MPD's player does: no drain, no reopening, no gap. (A song of another sample rate or
 * channel count cannot join: the sink drains and opens anew.)
 *
 * Emits 'ended' when a song played to its end and nothing follows it, 'advanced' (SongInfo) when
 * the next song's first sound is being heard, 'error' (text) when it could not go on, 'sounding'
 * when a song's first sound has been handed to the sink, and 'radio' (RadioView) when what the
 * radio shows changed.
 */
import { EventEmitter } from 'node:events';
import { blockFirstSample, blockIndexAt, samplesPerFrame } from '../../common/audio/blocks.js';
import type { LossMeter } from '../../common/datagram/loss-meter.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { createDecoder, outputChannels, type PcmDecoder } from '../audio/decoder.js';
import type { AudioSink, VoiceFrames } from '../audio/sink.js';
import type { BlockSource } from './block-source.js';
import { Mixer } from './mixer.js';
import { primeDecoder } from './priming.js';
import { RadioSource, type RadioFeed, type RadioView } from './radio-source.js';
import { FrameLedger } from './frame-ledger.js';
import { VoiceOutput } from './voice-output.js';

/** Song bytes decoded at a time: about 0.5 s of a 128 kbit/s MP3, 46 ms of CD-quality WAV. */
const DECODE_PIECE_BYTES = 8 * 1024;
/** About four frames of a 128 kbit/s MP3: about 100 ms of sound, decoded in well under a ms. */
const FIRST_PIECE_BYTES = 2 * 1024;

interface SongSession {
  song: SongInfo;
  /** Seconds of the song at its first frame written. */
  origin: number;
  /** The sink frame (since it was opened) of that first frame: 0, or where the song before it ended. */
  startFrame: number;
  /** Frames repeated minus dropped before it (listen along). */
  startDelta: number;
  /**
   * Listening along: asked as the first sound is written, where in the song that sound should
   * be (seconds); playback skips to there, or waits with silence, before anything is heard.
   */
  align?: (() => number | undefined) | undefined;
  abort: AbortController;
}

const sameOutput = (a: SongInfo, b: SongInfo): boolean => a.sampleRate === b.sampleRate && outputChannels(a) === outputChannels(b);

/** The most silence written before a start to wait for the right moment: more would be a hang, not a wait. */
const MAX_ALIGN_SILENCE_SECONDS = 0.5;

/** How far a session's first frame is to move (seconds, on: skip; back: silence first), its origin moved with it. */
function alignShift(session: SongSession, song: SongInfo): number {
  const want = session.align?.();
  if (want === undefined) return 0;
  const shift = Math.max(-MAX_ALIGN_SILENCE_SECONDS, Math.min(song.duration - session.origin, want - session.origin));
  session.origin += shift;
  return shift;
}

export class Playback extends EventEmitter {
  /** The song being heard. */
  private session: SongSession | undefined;
  /** The song written after it (gapless), until its first frame is heard. */
  private upcoming: SongSession | undefined;
  private advanceTimer: NodeJS.Timeout | undefined;
  /** What follows the current song, as the player's state says. */
  private next: SongInfo | undefined;
  /** Frames written to the sink since it was opened, and those nudged to follow another device. */
  private readonly ledger = new FrameLedger();
  private radio: RadioSource | undefined;
  private paused = false;
  private inCall = false;
  /** The song paused during a call: stopped, and played again from here on resume. */
  private heldAt: { song: SongInfo; position: number } | undefined;
  private readonly voice: VoiceOutput;
  private readonly mixer: Mixer;

  constructor(
    private readonly blocks: BlockSource,
    private sink: AudioSink,
  ) {
    super();
    this.mixer = new Mixer(sink);
    this.voice = new VoiceOutput(this.mixer, {
      inCall: () => this.inCall,
      musicPlaying: () => (this.session !== undefined && !this.paused) || this.radio !== undefined,
      sink: () => this.sink,
    });
  }

  get audioOutput(): string {
    return this.sink.name;
  }

  /** Swaps the sink (the device failed): playback goes on from where it was. */
  replaceSink(sink: AudioSink): void {
    const position = this.position();
    this.sink.close();
    this.sink = sink;
    this.mixer.setSink(sink);
    sink.lowLatency?.(this.inCall);
    this.voice.attach();
    if (this.session) this.play(this.session.song, position);
  }

  play(song: SongInfo, at: number, align?: () => number | undefined): void {
    void this.stopRadio();
    this.heldAt = undefined;
    this.voice.formatChanged(); // the music's format from now on
    // The same song again (resume, seek) keeps its download going: the fetcher reuses it.
    if (this.session?.song.etag === song.etag) this.halt();
    else this.stop();
    const session: SongSession = { song, origin: at, startFrame: 0, startDelta: 0, align, abort: new AbortController() };
    this.session = session;
    this.blocks.follow(song);
    // A play is a play: a sink paused before it sounds again (a song chosen while paused, a resume from elsewhere).
    if (this.paused) this.sink.resume();
    this.paused = false;
    void this.runSongs(session).catch((error: Error) => {
      if (session.abort.signal.aborted) return;
      const failed = this.upcoming?.song ?? song;
      this.halt();
      this.emit('error', `${failed.file}: ${error.message}`);
    });
  }

  /** The song that follows the current one, if any: fetched ahead, and joined to it without a gap. */
  setNext(song: SongInfo | undefined): void {
    this.next = song;
    this.blocks.prefetch(song);
  }

  pause(): void {
    this.paused = true;
    if (this.inCall && this.session) {
      // The sink goes on carrying the voice: the song stops where it was, and resumes from there.
      this.heldAt = { song: this.session.song, position: this.position() };
      this.halt();
      return;
    }
    this.sink.pause();
  }

  /** Plays on from what was heard: a sink drops what its device held when it paused. */
  resume(): void {
    this.paused = false;
    this.sink.resume();
    const held = this.heldAt ?? (this.session && { song: this.session.song, position: this.position() });
    this.heldAt = undefined;
    if (held) this.play(held.song, held.position);
  }

  /** A call starts or ends: the music is ducked under the voice meanwhile. */
  setCall(active: boolean): void {
    this.inCall = active;
    this.mixer.duck(active);
    this.sink.lowLatency?.(active);
    this.voice.formatChanged();
    if (active && this.paused && this.session) {
      // Paused music holds the sink paused: the song lets go of it, the voice needs it.
      this.heldAt = { song: this.session.song, position: this.position() };
      this.halt();
      this.sink.resume();
    }
  }

  /** A call's voice, from when it starts (its frames) to when it ends (undefined). */
  setVoice(frames: VoiceFrames | undefined): void {
    this.voice.set(frames);
  }

  stop(): void {
    this.halt();
    this.blocks.follow(undefined);
    this.blocks.cancel();
  }

  seek(at: number): void {
    const session = this.session;
    if (!session) return;
    const wasPaused = this.paused;
    this.play(session.song, at);
    if (wasPaused) this.pause();
  }

  setVolume(volume: number): void {
    this.mixer.volume = volume;
  }

  /** Seconds into the current song, as far as the sink has played. */
  position(): number {
    this.checkAdvance();
    const session = this.session;
    if (!session) return 0;
    const sinkFrame = this.sink.playedFrames();
    const played = Math.max(0, sinkFrame - session.startFrame - (this.ledger.deltaAt(sinkFrame) - session.startDelta));
    return Math.min(session.song.duration, session.origin + played / session.song.sampleRate);
  }

  /** The song playing now (the one heard), if any. */
  get song(): SongInfo | undefined {
    return this.session?.song;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Playback is `errorSeconds` ahead of where it should be (behind: negative): frames are repeated or dropped, unheard, until it is not. */
  correct(errorSeconds: number): void {
    const song = this.session?.song;
    if (song) this.ledger.correct(errorSeconds, this.sink.playedFrames(), song.sampleRate);
  }

  /** The song written after the current one becomes the one heard once the sink plays its first frame. */
  private checkAdvance(): void {
    const upcoming = this.upcoming;
    if (!upcoming) return;
    clearTimeout(this.advanceTimer);
    const ahead = upcoming.startFrame - this.sink.playedFrames();
    if (ahead > 0) {
      this.advanceTimer = setTimeout(() => this.checkAdvance(), Math.max(5, (ahead / upcoming.song.sampleRate) * 1000));
      return;
    }
    this.upcoming = undefined;
    this.session = upcoming;
    this.emit('advanced', upcoming.song);
  }

  /** The radio becomes the music: the song stops. `meter` counts what the network did. */
  listenRadio(feed: RadioFeed, meter: LossMeter, jitterMs: number): void {
    this.stop();
    void this.stopRadio();
    const radio = new RadioSource(feed, this.mixer, meter, jitterMs);
    this.radio = radio;
    radio.on('changed', (view: RadioView) => this.emit('radio', view));
    radio.start().catch((error: Error) => this.emit('radio', { status: 'refused', text: `radio: ${error.message}`, position: 0 } satisfies RadioView));
  }

  /** Stops the radio: every way out of listening goes through here. Resolves once LEAVE is sent. */
  stopRadio(): Promise<void> {
    const radio = this.radio;
    this.radio = undefined;
    return radio ? radio.stop() : Promise.resolve();
  }

  /** Stops everything and closes the sink; resolves once the radio (if on) has said LEAVE. */
  close(): Promise<void> {
    this.stop();
    const left = this.stopRadio();
    this.sink.close();
    return left;
  }

  private halt(): void {
    this.session?.abort.abort();
    this.session = undefined;
    this.upcoming = undefined;
    clearTimeout(this.advanceTimer);
    this.mixer.flush();
    this.ledger.reset();
  }

  /**
   * Plays `first`, then each song that follows it while one is set and can join (same output
   * format), into the one open sink; drains at the end of the last.
   */
  private async runSongs(first: SongSession): Promise<void> {
    const signal = first.abort.signal;
    await this.mixer.open({ sampleRate: first.song.sampleRate, channels: outputChannels(first.song) });
    this.ledger.reset();
    if (this.paused) this.sink.pause();
    let session = first;
    for (;;) {
      await this.runSong(session);
      const next = this.next;
      if (signal.aborted || !next || !sameOutput(next, session.song)) break;
      session = { song: next, origin: 0, startFrame: this.ledger.written, startDelta: this.ledger.deltaAt(this.ledger.written), abort: first.abort };
      this.upcoming = session;
      this.blocks.follow(next);
      this.checkAdvance();
    }
    await this.sink.drain();
    if (signal.aborted) return;
    this.checkAdvance(); // all played: the last song joined is the one heard
    this.session = undefined;
    this.emit('ended');
  }

  /** Decodes one song into the sink, from its origin to its end. */
  private async runSong(session: SongSession): Promise<void> {
    const { song } = session;
    const signal = session.abort.signal;
    const first = blockIndexAt(session.origin, song.blocks);
    const decoder: PcmDecoder = await createDecoder(song);
    try {
      await primeDecoder(decoder, song, first, this.blocks);
      // Samples of block `first` before the position asked for are decoded and dropped.
      let skipFrames = Math.max(0, Math.round(session.origin * song.sampleRate) - blockFirstSample(first, song.sampleRate, samplesPerFrame(song.format, song.sampleRate)));
      const frameBytes = 2 * outputChannels(song);
      let sounding = false;
      for (let index = first; index < song.blocks; index++) {
        for await (const chunk of this.blocks.block(song, index, signal)) {
          // A cached block comes whole (30 s): decoded in pieces, its first sound is out after
          // one piece's work instead of the whole block's.
          for (let at = 0; at < chunk.length; ) {
            if (signal.aborted) return;
            // The song's very first piece is small: its sound is out before the rest is decoded.
            const size = at === 0 && index === first ? FIRST_PIECE_BYTES : DECODE_PIECE_BYTES;
            let pcm = decoder.decode(chunk.subarray(at, at + size));
            at += size;
            if (skipFrames > 0) {
              const drop = Math.min(skipFrames, pcm.length / frameBytes);
              skipFrames -= drop;
              pcm = pcm.subarray(drop * frameBytes);
            }
            if (!sounding && session.align && skipFrames === 0 && pcm.length > 0) {
              // Where the first sound should be, now that it is about to be written: skip on to it, or wait with silence.
              const shift = alignShift(session, song);
              session.align = undefined;
              if (shift > 0) {
                skipFrames = Math.round(shift * song.sampleRate);
                const drop = Math.min(skipFrames, pcm.length / frameBytes);
                skipFrames -= drop;
                pcm = pcm.subarray(drop * frameBytes);
              } else if (shift < 0) pcm = Buffer.concat([Buffer.alloc(Math.round(-shift * song.sampleRate) * frameBytes), pcm]);
            }
            if (pcm.length === 0) continue;
            const written = this.mixer.write(this.ledger.write(pcm, frameBytes));
            if (!sounding) {
              sounding = true;
              this.emit('sounding');
            }
            await written;
          }
        }
        if (signal.aborted) return;
      }
    } finally {
      decoder.free();
    }
  }
}
