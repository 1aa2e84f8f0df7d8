/**
 * Songs sent over UDP (PROTOCOL.md section 3, `stream` and `resend`): the bytes of a range of
 * blocks cut into packets of `PACKET_BYTES`, sent as AUDIO datagrams to the TCP peer's own IP,
 * paced at `stream_rate_kbps`, then END; `resend` queues sequence numbers again (then END again).
 * A stream lives as long as its TCP connection, at most `max_streams_per_connection` at once.
 */
import { randomInt } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType, HEADER_BYTES, MAX_PAYLOAD_BYTES, writeHeader } from '../../common/datagram/codec.js';
import type { SequenceRange } from '../../common/datagram/ranges.js';
import type { UdpSettings } from '../../common/config-schema.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import type { CatalogSong } from '../catalog/song.js';
import type { Logger } from '../log.js';
import type { Peer, Send, UdpCounters } from '../radio/radio.js';

export const PACKET_BYTES = MAX_PAYLOAD_BYTES;
/** Packets sent between two looks at the clock. */
const BURST_PACKETS = 16;
/** Packets a stream may have queued at once, in multiples of its length: resending it all, a few times over, is the most a client can need. */
const MAX_QUEUED_ROUNDS = 4;

export interface SongStream {
  id: number;
  session: number;
  song: CatalogSong;
  peer: Peer;
  /** File offset of the stream's first byte, and its length. */
  offset: number;
  bytes: number;
  packets: number;
}

interface StreamState extends SongStream {
  handle: FileHandle;
  /** Ranges still to send, in order. */
  queue: SequenceRange[];
  queued: number;
  closed: boolean;
  wake: (() => void) | undefined;
}

export class SongStreams {
  private readonly streams = new Map<number, StreamState>();
  private nextId = randomInt(1, 2 ** 30);

  constructor(
    private readonly settings: UdpSettings,
    private readonly send: Send,
    private readonly counters: UdpCounters,
    private readonly log: Logger,
  ) {}

  get active(): number {
    return this.streams.size;
  }

  /** Starts sending blocks `first`..`last` of `song` to `peer`. */
  async open(session: number, song: CatalogSong, first: number, last: number, peer: Peer): Promise<SongStream> {
    const start = song.blocks[first];
    const end = song.blocks[last];
    if (!start || !end) throw new ProtocolError('bad_argument', `blocks ${first}-${last} out of range`);
    let handle: FileHandle;
    try {
      handle = await open(song.path, 'r');
    } catch (error) {
      throw new ProtocolError('io_error', `cannot open '${song.info.file}': ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const mine = [...this.streams.values()].filter((stream) => stream.session === session);
    if (mine.length >= this.settings.max_streams_per_connection) this.drop(mine[0] as StreamState);
    const bytes = end.offset + end.length - start.offset;
    const packets = Math.max(1, Math.ceil(bytes / PACKET_BYTES));
    const id = this.nextId++ >>> 0;
    const state: StreamState = { id, session, song, peer, offset: start.offset, bytes, packets, handle, queue: [[0, packets - 1]], queued: packets, closed: false, wake: undefined };
    this.streams.set(id, state);
    return state;
  }

  /** Begins the sending loop (after the TCP answer went out, so the client knows the stream first). */
  begin(stream: SongStream): void {
    const state = this.streams.get(stream.id);
    // Reading a closed file is how a stream ends when its connection goes: not worth a warning.
    if (state) void this.run(state).catch((error: Error) => state.closed || this.log.warn(`stream ${state.id}: ${error.message}`));
  }

  /** @throws ProtocolError not_found when the stream is not this connection's (or is gone). */
  packetsOf(session: number, id: number): number {
    const state = this.streams.get(id);
    if (!state || state.session !== session) throw new ProtocolError('not_found', `no stream ${id} on this connection`);
    return state.packets;
  }

  /** @throws ProtocolError not_found when the stream is not this connection's (or is gone). */
  resend(session: number, id: number, ranges: SequenceRange[]): number {
    const state = this.streams.get(id);
    if (!state || state.session !== session) throw new ProtocolError('not_found', `no stream ${id} on this connection`);
    let count = 0;
    for (const range of ranges) count += range[1] - range[0] + 1;
    if (state.queued + count > MAX_QUEUED_ROUNDS * state.packets) throw new ProtocolError('bad_argument', 'too many packets queued for resending; wait for END');
    state.queue.push(...ranges);
    state.queued += count;
    state.wake?.();
    return count;
  }

  /** The TCP connection closed: its streams stop and are forgotten. */
  /** Drops one stream (its connection went away before it began). */
  forget(stream: SongStream): void {
    const state = this.streams.get(stream.id);
    if (state) this.drop(state);
  }

  closeSession(session: number): void {
    for (const state of this.streams.values()) if (state.session === session) this.drop(state);
  }

  closeAll(): void {
    for (const state of this.streams.values()) this.drop(state);
  }

  private drop(state: StreamState): void {
    state.closed = true;
    this.streams.delete(state.id);
    state.wake?.();
    void state.handle.close().catch(() => {});
  }

  private async run(state: StreamState): Promise<void> {
    const bytesPerMs = (this.settings.stream_rate_kbps * 1000) / 8 / 1000;
    let started = Date.now();
    let sent = 0;
    const buffer = Buffer.allocUnsafe(BURST_PACKETS * PACKET_BYTES);
    while (!state.closed) {
      const range = state.queue[0];
      if (!range) {
        this.emit(state, DatagramType.END, state.packets, Buffer.alloc(0));
        await new Promise<void>((resolve) => (state.wake = resolve));
        state.wake = undefined;
        started = Date.now(); // resends are paced from when they were asked for
        sent = 0;
        continue;
      }
      // A burst: consecutive packets of the range at the head of the queue, read in one go.
      const count = Math.min(BURST_PACKETS, range[1] - range[0] + 1);
      const from = range[0] * PACKET_BYTES;
      const length = Math.min(state.bytes - from, count * PACKET_BYTES);
      const { bytesRead } = await state.handle.read(buffer, 0, length, state.offset + from);
      if (state.closed) return;
      if (bytesRead < length) throw new Error(`'${state.song.info.file}' is shorter than when it was scanned`);
      for (let i = 0; i < count; i++) {
        const at = i * PACKET_BYTES;
        this.emit(state, DatagramType.AUDIO, range[0] + i, buffer.subarray(at, Math.min(length, at + PACKET_BYTES)));
        sent += Math.min(length, at + PACKET_BYTES) - at;
      }
      range[0] += count;
      state.queued -= count;
      if (range[0] > range[1]) state.queue.shift();
      // Pacing: never ahead of the rate since the stream began.
      const ahead = sent / bytesPerMs - (Date.now() - started);
      if (ahead >= 1) await sleep(ahead);
    }
  }

  private emit(state: StreamState, type: DatagramType, sequence: number, payload: Buffer): void {
    const bytes = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
    writeHeader(bytes, type, state.id, type === DatagramType.AUDIO ? sequence : state.packets, type === DatagramType.AUDIO ? sequence * PACKET_BYTES : state.bytes);
    payload.copy(bytes, HEADER_BYTES);
    this.send(bytes, state.peer);
    this.counters.datagramsSent++;
    this.counters.bytesSent += bytes.length;
  }
}
