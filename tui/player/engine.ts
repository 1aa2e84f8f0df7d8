/**
 * Playback: pulls a song's blocks from the fetcher (cache or daemon), decodes them and writes the
 * PCM to the sink, from any position. The clock is the sink's: the audio actually played.
 * Emits 'ended' when a song played to its end and 'error' (text) when it could not go on.
 */
import { EventEmitter } from 'node:events';
import type { SongInfo } from '../../common/protocol/records.js';
import { scanMpeg } from '../../common/audio/mpeg-frames.js';
import { parseMpegHeader } from '../../common/audio/mpeg-header.js';
import { applyVolume, blockFirstSample, createDecoder, outputChannels, type PcmDecoder } from '../audio/decoder.js';
import type { AudioSink } from '../audio/sink.js';
import type { BlockCache } from '../cache/block-cache.js';
import type { BlockFetcher } from './fetcher.js';

interface Session {
  song: SongInfo;
  /** Seconds of the song at the sink's frame 0. */
  origin: number;
  signal: { cancelled: boolean };
}

/** MP3 frames may borrow bits from the frame before: a block decoded alone is primed with the previous block's last frames. */
const PRIMING_FRAMES = 2;

export class PlaybackEngine extends EventEmitter {
  private session: Session | undefined;
  private volume = 100;
  private paused = false;

  constructor(
    private readonly fetcher: BlockFetcher,
    private readonly cache: BlockCache,
    private sink: AudioSink,
  ) {
    super();
  }

  get audioOutput(): string {
    return this.sink.name;
  }

  /** The sink, for the radio to play into while the engine is stopped. */
  get currentSink(): AudioSink {
    return this.sink;
  }

  /** Swaps the sink (the device failed): playback goes on from where it was. */
  replaceSink(sink: AudioSink): void {
    const position = this.position();
    this.sink.close();
    this.sink = sink;
    if (this.session) this.play(this.session.song, position);
  }

  play(song: SongInfo, at: number): void {
    // The same song again (resume, seek) keeps its download going: the fetcher reuses it.
    if (this.session?.song.etag === song.etag) this.halt();
    else this.stop();
    const session: Session = { song, origin: at, signal: { cancelled: false } };
    this.session = session;
    this.fetcher.follow(song);
    this.paused = false;
    void this.cache.touch(song.etag);
    void this.run(session).catch((error: Error) => {
      if (session.signal.cancelled) return;
      this.session = undefined;
      this.emit('error', `${song.file}: ${error.message}`);
    });
  }

  pause(): void {
    this.paused = true;
    this.sink.pause();
  }

  /** Plays on from what was heard: a sink drops what its device held when it paused. */
  resume(): void {
    this.paused = false;
    this.sink.resume();
    const session = this.session;
    if (session) this.play(session.song, this.position());
  }

  stop(): void {
    this.halt();
    this.fetcher.follow(undefined);
    this.fetcher.cancel();
  }

  private halt(): void {
    if (this.session) this.session.signal.cancelled = true;
    this.session = undefined;
    this.sink.flush();
  }

  seek(at: number): void {
    const session = this.session;
    if (!session) return;
    const wasPaused = this.paused;
    this.play(session.song, at);
    if (wasPaused) this.pause();
  }

  setVolume(volume: number): void {
    this.volume = volume;
  }

  /** Seconds into the current song, as far as the sink has played. */
  position(): number {
    const session = this.session;
    if (!session) return 0;
    return Math.min(session.song.duration, session.origin + this.sink.playedFrames() / session.song.sampleRate);
  }

  close(): void {
    this.stop();
    this.sink.close();
  }

  private async run(session: Session): Promise<void> {
    const { song, signal } = session;
    await this.sink.open({ sampleRate: song.sampleRate, channels: outputChannels(song) });
    if (this.paused) this.sink.pause();
    const first = Math.min(song.blocks - 1, Math.floor(session.origin / 30));
    const decoder = await createDecoder(song);
    try {
      await this.prime(decoder, song, first, signal);
      // Samples of block `first` before the position asked for are decoded and dropped.
      let skipFrames = Math.max(0, Math.round(session.origin * song.sampleRate) - blockFirstSample(song, first));
      const frameBytes = 2 * outputChannels(song);
      for (let index = first; index < song.blocks; index++) {
        for await (const chunk of this.fetcher.block(song, index, signal)) {
          if (signal.cancelled) return;
          let pcm = decoder.decode(chunk);
          if (skipFrames > 0) {
            const drop = Math.min(skipFrames, pcm.length / frameBytes);
            skipFrames -= drop;
            pcm = pcm.subarray(drop * frameBytes);
          }
          if (pcm.length > 0) await this.sink.write(applyVolume(pcm, this.volume));
          if (signal.cancelled) return;
        }
      }
      await this.sink.drain();
      if (!signal.cancelled) {
        this.session = undefined;
        this.emit('ended');
      }
    } finally {
      decoder.free();
    }
  }

  /** Feeds the last frames of block `index - 1` (when on disk) to the decoder and drops their output. */
  private async prime(decoder: PcmDecoder, song: SongInfo, index: number, signal: { cancelled: boolean }): Promise<void> {
    if (song.format !== 'mp3' || index === 0 || signal.cancelled) return;
    const before = await this.cache.read(song.etag, index - 1);
    const scan = before && scanMpeg(before);
    if (!before || !scan) return;
    const starts: number[] = [];
    for (let at = scan.audioStart; at < scan.audioEnd; ) {
      const header = parseMpegHeader(before, at);
      if (!header) break;
      starts.push(at);
      at += header.frameBytes;
    }
    const from = starts[Math.max(0, starts.length - PRIMING_FRAMES)] ?? scan.audioStart;
    decoder.decode(before.subarray(from));
  }
}
