/**
 * Songs sent over UDP (docs/protocol.md, UDP, `stream` and `resend`): the bytes of a range of
 * blocks as AUDIO datagrams to the TCP peer's own IP (stream-sender.ts sends them).
 *
 * Nothing is sent until the port proves it wants the stream (1.2): the `stream` answer carries a
 * token, and a KEEPALIVE with the stream's id and that token must come from exactly that IP and
 * port within `PROOF_WAIT_MS`. A proven stream that hears no KEEPALIVE for `listener_timeout`, or
 * gets a LEAVE, stops. So 34 bytes of command never turn into megabytes sent to a port that did not
 * ask. A stream also ends with its TCP connection; streams are capped per connection, per client
 * address and in all.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { DatagramType, TOKEN_BYTES, type Datagram } from '../../common/datagram/codec.js';
import type { SequenceRange } from '../../common/datagram/ranges.js';
import type { UdpSettings } from '../../common/config-schema.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { openSongFile } from '../catalog/block-reader.js';
import type { CatalogSong } from '../catalog/song.js';
import type { Logger } from '../log.js';
import type { Peer } from './udp-types.js';
import { PACKET_BYTES, runSender, type PacedSocket, type SenderCounters, type SenderState } from './stream-sender.js';

export { PACKET_BYTES };
/** How long a stream waits for the KEEPALIVE that proves its port (docs/protocol.md, Songs over UDP). */
export const PROOF_WAIT_MS = 10_000;
/** Packets a stream may have queued at once, in multiples of its length: resending it all, a few times over, is the most a client can need. */
const MAX_QUEUED_ROUNDS = 4;

export interface SongStream {
  readonly id: number;
  readonly session: number;
  readonly song: CatalogSong;
  readonly peer: Peer;
  readonly offset: number;
  readonly bytes: number;
  readonly packets: number;
  /** What the client echoes in its KEEPALIVE, as the answer gives it: 16 hex digits. */
  readonly token: string;
}

export interface StreamCounters extends SenderCounters {
  malformed: number;
  /** Streams dropped because their port never proved itself, or fell silent. */
  streamsUnproven: number;
  streamsSilent: number;
}

interface StreamState extends SenderState, SongStream {
  tokenBytes: Buffer;
  proven: boolean;
  /** Runs out when the proof or the next KEEPALIVE is late. */
  timer: NodeJS.Timeout | undefined;
}

export class SongStreams {
  private readonly streams = new Map<number, StreamState>();
  private nextId = randomInt(1, 2 ** 30);

  constructor(
    private readonly settings: UdpSettings,
    private readonly socket: PacedSocket,
    private readonly counters: StreamCounters,
    private readonly log: Logger,
    /** An id never to give a stream: the radio's, so that KEEPALIVEs go to the right owner. */
    private readonly reservedId = 0,
  ) {}

  get active(): number {
    return this.streams.size;
  }

  /** Bytes of datagrams (streams' and the radio's) waiting in the socket's send queue. */
  get queuedBytes(): number {
    return this.socket.queuedBytes();
  }

  /** Is `id` a song stream (its KEEPALIVE and LEAVE datagrams come here, not to the radio)? */
  owns(id: number): boolean {
    return this.streams.has(id);
  }

  /**
   * Opens the song and sets up a stream of blocks `first`..`last` to `peer`; it sends once proven.
   * @throws ProtocolError busy when the client's address or the daemon has its most streams.
   */
  async open(session: number, song: CatalogSong, first: number, last: number, peer: Peer): Promise<SongStream> {
    const start = song.blocks[first];
    const end = song.blocks[last];
    if (!start || !end) throw new ProtocolError('bad_argument', `blocks ${first}-${last} out of range`);
    this.checkCaps(session, peer);
    const handle = await openSongFile(song);
    try {
      this.checkCaps(session, peer); // others may have opened while the file opened
    } catch (error) {
      await handle.close();
      throw error;
    }
    const mine = [...this.streams.values()].filter((stream) => stream.session === session);
    if (mine.length >= this.settings.max_streams_per_connection) this.drop(mine[0] as StreamState);
    const bytes = end.offset + end.length - start.offset;
    const packets = Math.max(1, Math.ceil(bytes / PACKET_BYTES));
    const tokenBytes = randomBytes(TOKEN_BYTES);
    const state: StreamState = {
      id: this.newId(),
      session,
      song,
      peer,
      offset: start.offset,
      bytes,
      packets,
      token: tokenBytes.toString('hex'),
      tokenBytes,
      handle,
      queue: [[0, packets - 1]],
      queued: packets,
      closed: false,
      inFlight: 0,
      wake: undefined,
      drained: undefined,
      proven: false,
      timer: undefined,
    };
    this.streams.set(state.id, state);
    return state;
  }

  /** The answer went out: the stream waits for its proof from now on. */
  begin(stream: SongStream): void {
    const state = this.streams.get(stream.id);
    if (!state) return;
    state.timer = setTimeout(() => {
      this.counters.streamsUnproven++;
      this.log.debug(
        `stream ${state.id}: no KEEPALIVE from ${state.peer.address}:${state.peer.port} within ${PROOF_WAIT_MS / 1000} s; dropped`,
      );
      this.drop(state);
    }, PROOF_WAIT_MS);
  }

  /** A KEEPALIVE or LEAVE whose header names a song stream. Anything not exactly right is counted and ignored. */
  handle(datagram: Datagram, from: Peer): void {
    const state = this.streams.get(datagram.stream);
    const genuine =
      state !== undefined &&
      state.timer !== undefined &&
      from.address === state.peer.address &&
      from.port === state.peer.port &&
      datagram.payload.length === TOKEN_BYTES &&
      timingSafeEqual(datagram.payload, state.tokenBytes);
    if (!genuine) {
      this.counters.malformed++;
      return;
    }
    if (datagram.type === DatagramType.LEAVE) return this.drop(state);
    if (datagram.type !== DatagramType.KEEPALIVE) return void this.counters.malformed++;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      this.counters.streamsSilent++;
      this.log.debug(`stream ${state.id}: no KEEPALIVE for ${this.settings.listener_timeout} s; stopped`);
      this.drop(state);
    }, this.settings.listener_timeout * 1000);
    if (state.proven) return;
    state.proven = true;
    void runSender(state, this.socket, this.settings.stream_rate_kbps, this.counters).catch(
      // Reading a closed file is how a stream ends when its connection goes: not worth a warning.
      (error: Error) => state.closed || this.log.warn(`stream ${state.id}: ${error.message}`),
    );
  }

  /** @throws ProtocolError not_found when the stream is not this connection's (or is gone). */
  packetsOf(session: number, id: number): number {
    return this.mine(session, id).packets;
  }

  /** @throws ProtocolError not_found when the stream is not this connection's; bad_argument when it is not proven yet or too much is queued. */
  resend(session: number, id: number, ranges: SequenceRange[]): number {
    const state = this.mine(session, id);
    if (!state.proven)
      throw new ProtocolError('bad_argument', `stream ${id} is waiting for the KEEPALIVE that proves its port`);
    let count = 0;
    for (const range of ranges) count += range[1] - range[0] + 1;
    if (state.queued + count > MAX_QUEUED_ROUNDS * state.packets)
      throw new ProtocolError('bad_argument', 'too many packets queued for resending; wait for END');
    state.queue.push(...ranges);
    state.queued += count;
    state.wake?.();
    return count;
  }

  /** Drops one stream (its connection went away before it began). */
  forget(stream: SongStream): void {
    const state = this.streams.get(stream.id);
    if (state) this.drop(state);
  }

  /** The TCP connection closed: its streams stop and are forgotten. */
  closeSession(session: number): void {
    for (const state of this.streams.values()) if (state.session === session) this.drop(state);
  }

  closeAll(): void {
    for (const state of this.streams.values()) this.drop(state);
  }

  private mine(session: number, id: number): StreamState {
    const state = this.streams.get(id);
    if (!state || state.session !== session) throw new ProtocolError('not_found', `no stream ${id} on this connection`);
    return state;
  }

  private checkCaps(session: number, peer: Peer): void {
    const {
      max_streams: most,
      max_streams_per_address: mostPerAddress,
      max_streams_per_connection: mostPerConnection,
    } = this.settings;
    let ofSession = 0;
    for (const state of this.streams.values()) if (state.session === session) ofSession++;
    if (ofSession >= mostPerConnection) return; // the new stream takes the place of the connection's oldest
    if (this.streams.size >= most)
      throw new ProtocolError('busy', `${most} song streams are running: try again when one ends`);
    let fromAddress = 0;
    for (const state of this.streams.values()) if (state.peer.address === peer.address) fromAddress++;
    if (fromAddress >= mostPerAddress)
      throw new ProtocolError(
        'busy',
        `${mostPerAddress} song streams go to ${peer.address} already: try again when one ends`,
      );
  }

  private newId(): number {
    let id: number;
    do id = this.nextId++ >>> 0;
    while (id === 0 || id === this.reservedId || this.streams.has(id));
    return id;
  }

  private drop(state: StreamState): void {
    state.closed = true;
    clearTimeout(state.timer);
    this.streams.delete(state.id);
    state.wake?.();
    void state.handle
      .close()
      .catch((error: Error) => this.log.debug(`stream ${state.id}: closing its file failed: ${error.message}`));
  }
}
