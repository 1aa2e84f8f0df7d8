/**
 * The sending loop of one song stream: the ranges queued for it, read from the song's file in
 * bursts, cut into AUDIO datagrams, paced at `stream_rate_kbps`, then END; it waits for resends.
 * It never outruns the socket: when the stream's own datagrams wait in the send queue beyond
 * `STREAM_QUEUE_BYTES`, or the whole socket's beyond `SOCKET_QUEUE_BYTES`, it pauses until they
 * drain (a slow path slows the stream; the daemon does not buffer for it).
 */
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType, HEADER_BYTES, MAX_PAYLOAD_BYTES, writeHeader } from '../../common/datagram/codec.js';
import type { SequenceRange } from '../../common/datagram/ranges.js';
import type { CatalogSong } from '../catalog/song.js';
import type { Peer } from './udp-types.js';

export const PACKET_BYTES = MAX_PAYLOAD_BYTES;
/** Packets sent between two looks at the clock (and at the send queue). */
const BURST_PACKETS = 16;
/** A stream's datagrams that may wait in the socket's send queue (not yet taken by the kernel). */
export const STREAM_QUEUE_BYTES = 64 * 1024;
/** All datagrams that may wait in the send queue before every stream pauses (the radio drops instead). */
export const SOCKET_QUEUE_BYTES = 4 * 1024 * 1024;
/** How often a stream paused by the whole socket's queue looks again. */
const SOCKET_RETRY_MS = 5;

/** The socket as a stream sees it: sends with a callback, and tells how much waits to go out. */
export interface PacedSocket {
  send(bytes: Buffer, peer: Peer, done: () => void): void;
  queuedBytes(): number;
}

export interface SenderCounters {
  datagramsSent: number;
  bytesSent: number;
  /** Times a stream waited for the send queue to drain. */
  streamPauses: number;
}

export interface SenderState {
  readonly id: number;
  readonly song: CatalogSong;
  readonly peer: Peer;
  readonly handle: FileHandle;
  /** File offset of the stream's first byte, its length and its packets. */
  readonly offset: number;
  readonly bytes: number;
  readonly packets: number;
  /** Ranges still to send, in order; `queued` packets in all. */
  queue: SequenceRange[];
  queued: number;
  closed: boolean;
  /** Bytes of this stream in the send queue. */
  inFlight: number;
  /** Called when a resend is queued or the stream closes. */
  wake: (() => void) | undefined;
  /** Called when this stream's queued bytes fall back under the bound. */
  drained: (() => void) | undefined;
}

export async function runSender(
  state: SenderState,
  socket: PacedSocket,
  rateKbps: number,
  counters: SenderCounters,
): Promise<void> {
  const bytesPerMs = (rateKbps * 1000) / 8 / 1000;
  let started = Date.now();
  let sent = 0;
  const buffer = Buffer.allocUnsafe(BURST_PACKETS * PACKET_BYTES);
  const emit = (type: DatagramType, sequence: number, payload: Buffer): void => {
    const bytes = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
    const audio = type === DatagramType.AUDIO;
    writeHeader(bytes, type, state.id, audio ? sequence : state.packets, audio ? sequence * PACKET_BYTES : state.bytes);
    payload.copy(bytes, HEADER_BYTES);
    state.inFlight += bytes.length;
    socket.send(bytes, state.peer, () => {
      state.inFlight -= bytes.length;
      if (state.inFlight <= STREAM_QUEUE_BYTES / 2) state.drained?.();
    });
    counters.datagramsSent++;
    counters.bytesSent += bytes.length;
  };
  while (!state.closed) {
    if (await backPressure(state, socket, counters)) {
      // Time spent waiting for the path is not time to catch up on afterwards.
      started = Date.now();
      sent = 0;
      continue;
    }
    const range = state.queue[0];
    if (!range) {
      emit(DatagramType.END, state.packets, Buffer.alloc(0));
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
      const end = Math.min(length, at + PACKET_BYTES);
      emit(DatagramType.AUDIO, range[0] + i, buffer.subarray(at, end));
      sent += end - at;
    }
    range[0] += count;
    state.queued -= count;
    if (range[0] > range[1]) state.queue.shift();
    // Pacing: never ahead of the rate since the stream began.
    const ahead = sent / bytesPerMs - (Date.now() - started);
    if (ahead >= 1) await sleep(ahead);
  }
}

/** Waits while the stream's or the socket's queue is over its bound; true when it waited. */
async function backPressure(state: SenderState, socket: PacedSocket, counters: SenderCounters): Promise<boolean> {
  if (state.inFlight > STREAM_QUEUE_BYTES) {
    counters.streamPauses++;
    await new Promise<void>((resolve) => {
      state.drained = resolve;
      state.wake = resolve; // a close wakes it too
    });
    state.drained = undefined;
    state.wake = undefined;
    return true;
  }
  if (socket.queuedBytes() > SOCKET_QUEUE_BYTES) {
    counters.streamPauses++;
    while (!state.closed && socket.queuedBytes() > SOCKET_QUEUE_BYTES / 2) await sleep(SOCKET_RETRY_MS);
    return true;
  }
  return false;
}
