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
 */
import type { LossMeter } from '../../common/datagram/loss-meter.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { outputBits, outputChannels } from '../audio/decoder.js';
import type { AudioSink, VoiceFrames } from '../audio/sink.js';
import { OfflineError, type BlockSource } from './block-source.js';
import { Mixer } from './mixer.js';
import { RadioSource, type RadioFeed, type RadioView } from './radio-source.js';
import { FrameLedger } from './frame-ledger.js';
import { replayGainOf, sameAlbum, scalePcm, type ReplayGainSettings } from './replay-gain.js';
import { writeSong, type SongSession } from './song-writer.js';
import { VoiceOutput } from './voice-output.js';

const sameOutput = (a: SongInfo, b: SongInfo, highResolution: boolean): boolean =>
  a.sampleRate === b.sampleRate &&
  outputChannels(a) === outputChannels(b) &&
  outputBits(a, highResolution) === outputBits(b, highResolution);

/**
 * What playback tells its owner, one method an event (as MPD's player tells its listener): typed,
 * and never asked of playback by a read (position() and song change nothing).
 */
export interface PlaybackListener {
  /** A song played to its end and nothing follows it. */
  songEnded(): void;
  /** The next song's first sound is being heard: playback went on into it by itself (gapless). */
  songAdvanced(song: SongInfo): void;
  /** A song's first sound has been handed to the sink. */
  sounding(): void;
  /** Playback could not go on (the text says why). */
  /** `offline`: the daemon is away and the song's next block is not on disk (OfflineError). */
  failed(text: string, offline: boolean): void;
  /** What the radio shows changed. */
  radioChanged(view: RadioView): void;
}

/** A listener that hears nothing: for playback driven and read directly (tests, benchmarks). */
export const UNHEARD: PlaybackListener = {
  songEnded: () => {},
  songAdvanced: () => {},
  sounding: () => {},
  failed: () => {},
  radioChanged: () => {},
};

export class Playback {
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
  private listener: PlaybackListener = UNHEARD;

  constructor(
    private readonly blocks: BlockSource,
    private sink: AudioSink,
    private readonly replayGain: ReplayGainSettings = { mode: 'off', preampDb: 0 },
  ) {
    this.mixer = new Mixer(sink);
    this.voice = new VoiceOutput(this.mixer, {
      inCall: () => this.inCall,
      musicPlaying: () => (this.session !== undefined && !this.paused) || this.radio !== undefined,
      sink: () => this.sink,
    });
  }

  /** Who hears what playback tells (one listener: the owner, which passes it on). */
  listen(listener: PlaybackListener): void {
    this.listener = listener;
  }

  get audioOutput(): string {
    return this.sink.name;
  }

  /** Swaps the sink (the device failed): playback goes on from where it was. */
  replaceSink(sink: AudioSink): void {
    const heard = this.heard();
    this.sink.close();
    this.sink = sink;
    this.mixer.setSink(sink);
    sink.lowLatency?.(this.inCall);
    this.voice.attach();
    if (heard) this.play(heard.song, heard.position);
  }

  play(song: SongInfo, at: number, align?: () => number | undefined): void {
    void this.stopRadio();
    this.heldAt = undefined;
    this.voice.formatChanged(); // the music's format from now on
    // The same song again (resume, seek) keeps its download going: the fetcher reuses it.
    if (this.session?.song.etag === song.etag) this.halt();
    else this.stop();
    const session: SongSession = {
      song,
      origin: at,
      startFrame: 0,
      startDelta: 0,
      align,
      abort: new AbortController(),
    };
    this.session = session;
    this.blocks.setCurrent(song);
    // A play is a play: a sink paused before it sounds again (a song chosen while paused, a resume from elsewhere).
    if (this.paused) this.sink.resume();
    this.paused = false;
    void this.runSongs(session).catch((error: Error) => {
      if (session.abort.signal.aborted) return;
      const failed = this.upcoming?.song ?? song;
      this.halt();
      this.listener.failed(`${failed.file}: ${error.message}`, error instanceof OfflineError);
    });
  }

  /** The song that follows the current one, if any: fetched ahead, and joined to it without a gap. */
  setNext(song: SongInfo | undefined): void {
    this.next = song;
    this.blocks.prefetch(song);
  }

  /** The song under the cursor, if any: its start is fetched ahead when the cursor rests on it. */
  browse(song: SongInfo | undefined): void {
    this.blocks.browse(song);
  }

  pause(): void {
    this.paused = true;
    const heard = this.heard();
    if (this.inCall && heard) {
      // The sink goes on carrying the voice: the song stops where it was, and resumes from there.
      this.heldAt = heard;
      this.halt();
      return;
    }
    this.sink.pause();
  }

  /** Plays on from what was heard: a sink drops what its device held when it paused. */
  resume(): void {
    this.paused = false;
    this.sink.resume();
    const held = this.heldAt ?? this.heard();
    this.heldAt = undefined;
    if (held) this.play(held.song, held.position);
  }

  /** A call starts or ends: the music is ducked under the voice meanwhile. */
  setCall(active: boolean): void {
    this.inCall = active;
    this.mixer.duck(active);
    this.sink.lowLatency?.(active);
    this.voice.formatChanged();
    const heard = this.heard();
    if (active && this.paused && heard) {
      // Paused music holds the sink paused: the song lets go of it, the voice needs it.
      this.heldAt = heard;
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
    this.blocks.setCurrent(undefined);
    this.blocks.cancel();
  }

  seek(at: number): void {
    const song = this.song;
    if (!song) return;
    const wasPaused = this.paused;
    this.play(song, at);
    if (wasPaused) this.pause();
  }

  setVolume(volume: number): void {
    this.mixer.volume = volume;
  }

  /** The song being heard at `sinkFrame`: the one written after the current one once the sink plays its first frame. */
  private heardAt(sinkFrame: number): SongSession | undefined {
    const upcoming = this.upcoming;
    return upcoming && sinkFrame >= upcoming.startFrame ? upcoming : this.session;
  }

  /** The song being heard and where in it, if any. */
  private heard(): { song: SongInfo; position: number } | undefined {
    const song = this.song;
    return song && { song, position: this.position() };
  }

  /** Seconds into the song being heard, as far as the sink has played. */
  position(): number {
    const sinkFrame = this.sink.playedFrames();
    const session = this.heardAt(sinkFrame);
    if (!session) return 0;
    const played = Math.max(0, sinkFrame - session.startFrame - (this.ledger.deltaAt(sinkFrame) - session.startDelta));
    return Math.min(session.song.duration, session.origin + played / session.song.sampleRate);
  }

  /** Whether the sink has played any of what was written since the last start or seek (the sound is out). */
  get sounding(): boolean {
    return this.session !== undefined && this.sink.playedFrames() > this.session.startFrame;
  }

  /** The song playing now (the one heard), if any. */
  get song(): SongInfo | undefined {
    return this.heardAt(this.sink.playedFrames())?.song;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Playback is `errorSeconds` ahead of where it should be (behind: negative): frames are repeated or dropped, unheard, until it is not. */
  correct(errorSeconds: number, quick = false): void {
    const song = this.session?.song;
    if (song) this.ledger.correct(errorSeconds, this.sink.playedFrames(), song.sampleRate, quick);
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
    this.listener.songAdvanced(upcoming.song);
  }

  /** The radio becomes the music: the song stops. `meter` counts what the network did. */
  listenRadio(feed: RadioFeed, meter: LossMeter, jitterMs: number): void {
    this.stop();
    void this.stopRadio();
    const radio = new RadioSource(feed, this.mixer, meter, jitterMs);
    this.radio = radio;
    radio.on('changed', (view: RadioView) => this.listener.radioChanged(view));
    radio
      .start()
      .catch((error: Error) =>
        this.listener.radioChanged({ status: 'refused', text: `radio: ${error.message}`, position: 0 }),
      );
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
    const highResolution = this.sink.highResolution === true;
    await this.mixer.open({
      sampleRate: first.song.sampleRate,
      channels: outputChannels(first.song),
      bits: outputBits(first.song, highResolution),
    });
    this.ledger.reset();
    if (this.paused) this.sink.pause();
    let session = first;
    let before: SongInfo | undefined;
    for (;;) {
      // Which gain (album's or track's) follows from the songs around it: known by now.
      const neighbours = sameAlbum(session.song, before) || sameAlbum(session.song, this.next);
      const gain = replayGainOf(session.song, this.replayGain, neighbours);
      const bits = outputBits(session.song, highResolution);
      await writeSong(session, {
        blocks: this.blocks,
        bits,
        write: (pcm, frameBytes) => this.mixer.write(this.ledger.write(scalePcm(pcm, gain, bits), frameBytes)),
        sounding: () => this.listener.sounding(),
      });
      const next = this.next;
      if (signal.aborted || !next || !sameOutput(next, session.song, highResolution)) break;
      before = session.song;
      session = {
        song: next,
        origin: 0,
        startFrame: this.ledger.written,
        startDelta: this.ledger.deltaAt(this.ledger.written),
        abort: first.abort,
      };
      this.upcoming = session;
      this.blocks.setCurrent(next);
      this.checkAdvance();
    }
    await this.sink.drain();
    if (signal.aborted) return;
    this.checkAdvance(); // all played: the last song joined is the one heard
    this.session = undefined;
    this.listener.songEnded();
  }
}
