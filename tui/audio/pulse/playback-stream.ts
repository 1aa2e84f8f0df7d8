/**
 * One playback stream of a PulseClient: what the server asks for, the audio written to it, and
 * the server's account of how much of it has been heard (its read index less what the sink still
 * holds), counted from the last flush. The server holds the stream's buffer: a stall of the
 * player shorter than it is not heard; a flush, a cork or a volume is heard at once all the same
 * (the server rewinds what it had mixed ahead).
 */
import type { PulseClient, StreamMessage } from './client.js';
import {
  Command,
  corkPacket,
  createPlaybackStreamPacket,
  latencyPacket,
  MAX_AUDIO_PACKET_BYTES,
  audioPacket,
  readBufferAttrReply,
  readCreatePlaybackStreamReply,
  readLatencyReply,
  setBufferAttrPacket,
  setSinkInputVolumePacket,
  streamPacket,
  type BufferAttr,
  type CreatedStream,
  type StreamTiming,
} from './protocol.js';
import { SampleFormat, type SampleSpec } from './tagstruct.js';

export interface StreamEvents {
  /** The server asks for more (bytes it lacks: `requested`). */
  onRequest(): void;
  /** It ran dry. */
  onUnderflow(): void;
  /** It is gone (killed on the server, or the connection ended). */
  onEnd(reason: string): void;
}

/**
 * What was heard of the current generation at a moment (ms, performance.now()); negative bytes:
 * its first byte is heard that much later (the sink still plays what it took before a flush).
 */
interface Heard {
  bytes: number;
  at: number;
}

let nextSyncId = 1;

export class PulsePlaybackStream {
  /** Bytes the server lacks to hold its target. */
  requested: number;
  readonly byteRate: number;
  /** Bytes of one frame: 2 or 4 a sample, a sample a channel. */
  private readonly frameBytes: number;
  private sent = 0;
  /** `sent` at the last flush: bytes of this generation are those sent since. */
  private sentAtFlush = 0;
  private generation = 0;
  private heard: Heard = { bytes: 0, at: 0 };
  /** When the server last said where the stream is (performance.now()): `heard.at` moves at every read. */
  private timedAt = 0;
  /**
   * How far the clock may run on between timings: nowhere while the stream waits for its
   * pre-buffer, up to what was written when it ran dry, else up to what is written.
   */
  private runsTo = 0;
  /** What had been written when it last ran dry (since the last flush or start), if it did. */
  private dryAt: number | undefined;
  private asking = false;
  /** No timing asked since the last flush. */
  private fresh = false;
  private corked: boolean;
  private ended = false;
  /** The buffering the server gave it last. */
  private attr: BufferAttr;

  private constructor(
    private readonly client: PulseClient,
    private readonly created: CreatedStream,
    readonly spec: SampleSpec,
    corked: boolean,
    private readonly latencyFlags: { adjustLatency: boolean; earlyRequests: boolean },
    private readonly events: StreamEvents,
  ) {
    this.attr = created.buffer;
    this.requested = created.requested;
    this.corked = corked;
    this.frameBytes = (spec.format === SampleFormat.s32le ? 4 : 2) * spec.channels;
    this.byteRate = spec.rate * this.frameBytes;
    client.listen(created.channel, (message) => this.take(message));
  }

  static async open(
    client: PulseClient,
    spec: SampleSpec,
    buffer: BufferAttr,
    options: {
      sink?: string;
      volume: number;
      corked: boolean;
      adjustLatency?: boolean;
      earlyRequests?: boolean;
      name: string;
    },
    events: StreamEvents,
  ): Promise<PulsePlaybackStream> {
    const flags = { adjustLatency: options.adjustLatency ?? false, earlyRequests: options.earlyRequests ?? false };
    const reply = await client.request((tag) =>
      createPlaybackStreamPacket(tag, {
        spec,
        buffer,
        sink: options.sink ?? null,
        volume: options.volume,
        syncId: nextSyncId++,
        corked: options.corked,
        ...flags,
        props: { 'media.name': options.name, 'media.role': 'music' },
      }),
    );
    return new PulsePlaybackStream(client, readCreatePlaybackStreamReply(reply), spec, options.corked, flags, events);
  }

  /** The buffering the server gave it (it may round what was asked). */
  get buffer(): BufferAttr {
    return this.attr;
  }

  /**
   * Asks the server to hold `bytes` from now on, the rest of its buffering as it is: more, and it
   * asks for them at once; less, and it asks for nothing until what it holds has played down to them.
   */
  setTargetLength(bytes: number): void {
    if (this.ended) return;
    const buffer = { ...this.attr, targetLength: bytes };
    this.client
      .request((tag) => setBufferAttrPacket(tag, this.created.channel, buffer, this.latencyFlags))
      .then((reply) => {
        this.attr = readBufferAttrReply(reply);
      })
      // A server that refuses new buffering plays on with the old: no reason to end the stream.
      // A connection gone is told by the client itself.
      .catch(() => {});
  }

  get isCorked(): boolean {
    return this.corked;
  }

  /** Bytes written since the last flush. */
  get written(): number {
    return this.sent - this.sentAtFlush;
  }

  write(pcm: Buffer): void {
    if (this.ended) return;
    for (let at = 0; at < pcm.length; at += MAX_AUDIO_PACKET_BYTES)
      this.client.send(audioPacket(this.created.channel, pcm.subarray(at, at + MAX_AUDIO_PACKET_BYTES)));
    this.sent += pcm.length;
    this.requested = Math.max(0, this.requested - pcm.length);
    if (this.fresh) {
      // Where the new sound stands, asked after it (the server takes packets in order).
      this.fresh = false;
      this.askTiming();
    }
  }

  /** Drops what it holds, heard at once; what is written next is counted from 0. */
  flush(): void {
    this.command((tag) => streamPacket(Command.flushPlaybackStream, tag, this.created.channel));
    this.generation++;
    this.sentAtFlush = this.sent;
    // A stream that plays goes on playing (its sink takes the new sound after what it holds), and
    // sends no 'started'; one that had run dry waits for its pre-buffer. The clock stays until the
    // first timing after the new sound says which (asked with it), or until it starts.
    this.heard = { bytes: 0, at: performance.now() };
    this.runsTo = 0;
    this.dryAt = undefined;
    this.fresh = true;
    // What it lacks now is its whole target (the server says so too, in a request).
    this.requested = this.attr.targetLength;
  }

  cork(corked: boolean): void {
    if (corked === this.corked) return;
    this.heardNow();
    this.corked = corked;
    this.command((tag) => corkPacket(tag, this.created.channel, corked));
  }

  /** Plays what it holds even when that is less than its pre-buffer (the end of the music). */
  trigger(): void {
    this.command((tag) => streamPacket(Command.triggerPlaybackStream, tag, this.created.channel));
  }

  setVolume(volume: number): void {
    this.command((tag) => setSinkInputVolumePacket(tag, this.created.sinkInput, volume, this.spec.channels));
  }

  /**
   * Bytes of this generation heard by `now`: the last timing, moved on by the wall clock while it
   * plays, never past what was written. Asks the server again when the last is older than `freshMs`.
   */
  heardBytes(now: number, freshMs = 100): number {
    if (now - this.timedAt > freshMs) this.askTiming();
    return this.heardNow(now);
  }

  /** Asks the server where the stream is now (one request at a time). */
  askTiming(): void {
    if (this.asking || this.ended) return;
    this.asking = true;
    const generation = this.generation;
    const sentInGeneration = this.written;
    const asked = performance.now();
    const askedWall = Date.now();
    this.client
      .request((tag) => latencyPacket(tag, this.created.channel, askedWall))
      .then((body) => {
        this.asking = false;
        // Flushed meanwhile: it told of the old sound, and the new sound's own ask found this one
        // under way; asked again, or the clock would wait for its pre-buffer until the next one.
        if (generation !== this.generation) return this.askTiming();
        const timing = readLatencyReply(body);
        // True when the server answered (one machine, one wall clock), not when this process got
        // to the answer: on a busy machine that can be tens of ms later.
        const now = performance.now();
        const at = Math.min(now, Math.max(asked, asked + (timing.serverMs - askedWall)));
        this.place(timing, sentInGeneration, at);
      })
      .catch(() => {
        this.asking = false;
      });
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.client.listen(this.created.channel, undefined);
    this.command((tag) => streamPacket(Command.deletePlaybackStream, tag, this.created.channel));
  }

  private heardNow(now = performance.now()): number {
    const { bytes, at } = this.heard;
    const moved = this.corked ? 0 : Math.floor(((now - at) / 1000) * this.byteRate);
    const frame = this.frameBytes;
    const heard = Math.max(bytes, Math.min(this.written, this.runsTo, bytes + moved));
    this.heard = { bytes: heard - (heard % frame), at: now };
    return Math.max(0, this.heard.bytes);
  }

  /** A timing taken when `sentInGeneration` bytes of this generation had been written, valid at `at`. */
  private place(timing: StreamTiming, sentInGeneration: number, at: number): void {
    const start = timing.writeIndex - sentInGeneration;
    const heardIndex = timing.readIndex - Math.round((timing.sinkUsec / 1e6) * this.byteRate);
    const frame = this.frameBytes;
    let bytes = Math.min(sentInGeneration, heardIndex - start);
    if (timing.playing) {
      this.runsTo = Infinity;
    } else if (this.dryAt !== undefined && this.dryAt === sentInGeneration) {
      // Run dry, nothing written since: the sink plays out what it took; its latency then counts
      // what it rendered ahead of anything of ours, so the clock goes on to the end and not back.
      bytes = Math.max(bytes, this.heardNow(at));
    } else {
      // Waiting for its pre-buffer (after a flush, or sound written after it ran dry): heard is
      // at most what came before.
      this.runsTo = this.dryAt ?? 0;
      bytes = Math.max(0, Math.min(bytes, this.runsTo));
    }
    this.heard = { bytes: bytes - (bytes % frame), at };
    this.timedAt = at;
    this.heardNow();
  }

  private take(message: StreamMessage): void {
    switch (message.kind) {
      case 'request':
        this.requested += message.bytes;
        this.events.onRequest();
        break;
      case 'started':
        this.heardNow();
        this.runsTo = Infinity;
        this.dryAt = undefined;
        this.askTiming();
        break;
      case 'underflow':
        this.heardNow();
        this.runsTo = this.written;
        this.dryAt = this.written;
        this.events.onUnderflow();
        break;
      case 'killed':
        this.ended = true;
        this.client.listen(this.created.channel, undefined);
        this.events.onEnd('the PulseAudio server ended the stream');
        break;
      case 'overflow':
        break;
    }
  }

  private command(build: (tag: number) => Buffer): void {
    if (this.ended) return;
    this.client.request(build).catch((error: Error) => {
      if (!this.ended) this.events.onEnd(error.message);
    });
  }
}
