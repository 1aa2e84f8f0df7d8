/**
 * `--transport udp`: a song's blocks fetched with `stream` instead of `download` (PROTOCOL.md
 * section 3). The datagrams come to this downloader's own UDP socket; gaps are asked for again
 * with `resend` as soon as they are clearly gaps (not reordering), so blocks complete nearly in
 * order and playback can start on the first; every block is checked against its SHA-256, so the
 * cache ends byte-identical to a TCP download. Offers the same `download` as DaemonClient.
 */
import dgram from 'node:dgram';
import { decodeDatagram, DatagramType, type Datagram } from '../../common/datagram/codec.js';
import { formatRanges } from '../../common/datagram/ranges.js';
import type { DaemonClient, DownloadHandlers, Reply } from '../client/daemon-client.js';
import { parseStreamPlan } from '../../common/protocol/replies.js';
import { SongAssembly } from './song-assembly.js';

/** A packet this far behind the highest one seen is a gap, not reordering. */
const REORDER_PACKETS = 48;
const REPAIR_TICK_MS = 40;
/** A gap asked for is asked for again only after this long. */
const RETRY_MS = 400;
/** Quiet this long after END (or after the last datagram): ask for everything still missing. */
const QUIET_MS = 150;
/** No new packet for this long: the transfer failed. */
const STALL_MS = 10_000;
/** Room for about 3,000 datagrams (4 s at the default 16 Mbit/s) while the event loop is busy decoding. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Packets asked for in one repair round at most (resend lines are cut to fit the daemon's line limit anyway). */
const MAX_REPAIR_PACKETS = 20_000;
/** Datagrams kept for a stream whose `stream` answer has not been read yet. */
const EARLY_LIMIT = 4096;

interface Transfer {
  assembly: SongAssembly;
  handlers: DownloadHandlers;
  requested: Map<number, number>;
  highest: number;
  lastArrival: number;
  lastProgress: number;
  ended: boolean;
  finish(error?: Error): void;
}

export class UdpDownloader {
  private socket: dgram.Socket | undefined;
  private binding: Promise<number> | undefined;
  private readonly transfers = new Map<number, Transfer>();
  private early: Datagram[] = [];
  /** The port the daemon is told to send to: unset, this downloader's own; or a relay's in front of it. */
  advertisedPort: number | undefined;
  /** Packets asked for again with `resend`, over this downloader's life. */
  resendRequested = 0;
  /** Told of each first arrival of a packet (not a repair), for the loss meter: loss before repair. */
  onArrival: ((sequence: number) => void) | undefined;

  constructor(private readonly client: DaemonClient) {}

  get online(): boolean {
    return this.client.online;
  }

  close(): void {
    for (const transfer of this.transfers.values()) transfer.finish(new Error('closed'));
    this.socket?.close();
    this.socket = undefined;
    this.binding = undefined;
  }

  /** As DaemonClient.download: resolves when the last block was handed over (or with the daemon's ERR). */
  async download(song: string | number, first: number, last: number | undefined, handlers: DownloadHandlers): Promise<Reply> {
    const own = await this.open();
    const port = this.advertisedPort ?? own;
    const args: Array<string | number> = [song, port, first];
    if (last !== undefined) args.push(last);
    const reply = await this.client.request('stream', ...args);
    if (!reply.ok) return reply;
    const assembly = new SongAssembly(parseStreamPlan(reply.fields));
    const id = assembly.plan.stream;
    return new Promise<Reply>((resolve, reject) => {
      const now = Date.now();
      const offline = (): void => transfer.finish(new Error('the connection to streamd was lost'));
      const timer = setInterval(() => this.repair(id, transfer), REPAIR_TICK_MS);
      const transfer: Transfer = {
        assembly,
        handlers,
        requested: new Map(),
        highest: -1,
        lastArrival: now,
        lastProgress: now,
        ended: false,
        finish: (error) => {
          clearInterval(timer);
          this.client.off('offline', offline);
          this.transfers.delete(id);
          if (error) reject(error);
          else resolve(reply);
        },
      };
      this.transfers.set(id, transfer);
      this.client.once('offline', offline);
      const early = this.early.filter((datagram) => datagram.stream === id);
      this.early = this.early.filter((datagram) => datagram.stream !== id);
      for (const datagram of early) this.onDatagram(datagram);
    });
  }

  /** Binds the socket (once, even when asked twice at once) and gives its port. */
  open(): Promise<number> {
    if (this.binding) return this.binding;
    const binding: Promise<number> = new Promise<number>((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (message) => {
        const decoded = decodeDatagram(message);
        if (decoded.ok) this.onDatagram(decoded.datagram);
      });
      socket.on('error', () => {});
      socket.bind(0, () => {
        socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
        const port = socket.address().port;
        if (this.binding === binding) this.socket = socket;
        else socket.close(); // closed while binding
        resolve(port);
      });
    });
    this.binding = binding;
    return binding;
  }

  private onDatagram(datagram: Datagram): void {
    const transfer = this.transfers.get(datagram.stream);
    if (!transfer) {
      if ((datagram.type === DatagramType.AUDIO || datagram.type === DatagramType.END) && this.early.length < EARLY_LIMIT) {
        this.early.push({ ...datagram, payload: Buffer.from(datagram.payload) });
      }
      return;
    }
    const now = Date.now();
    transfer.lastArrival = now;
    if (datagram.type === DatagramType.END) {
      transfer.ended = true;
      return;
    }
    if (datagram.type !== DatagramType.AUDIO) return;
    const repair = transfer.requested.has(datagram.sequence);
    const added = transfer.assembly.add(datagram.sequence, datagram.payload);
    if (added !== 'new') return;
    if (!repair) this.onArrival?.(datagram.sequence);
    transfer.requested.delete(datagram.sequence);
    transfer.highest = Math.max(transfer.highest, datagram.sequence);
    transfer.lastProgress = now;
    for (const block of transfer.assembly.takeBlocks()) {
      transfer.handlers.onBlock(block.header);
      transfer.handlers.onData(block.header.index, block.bytes);
      transfer.handlers.onBlockEnd(block.header.index);
    }
    if (transfer.assembly.complete) transfer.finish();
  }

  /** Asks again for packets that are clearly lost: behind the reorder window, or all once the stream went quiet. */
  private repair(id: number, transfer: Transfer): void {
    const now = Date.now();
    if (now - transfer.lastProgress > STALL_MS) return transfer.finish(new Error(`UDP stream ${id} stalled: no packet for ${STALL_MS / 1000} s`));
    const quiet = now - transfer.lastArrival >= QUIET_MS && (transfer.ended || now - transfer.lastArrival >= 4 * QUIET_MS);
    const below = quiet ? transfer.assembly.plan.packets : transfer.highest - REORDER_PACKETS;
    const wanted = transfer.assembly.missing(below, MAX_REPAIR_PACKETS).filter((sequence) => now - (transfer.requested.get(sequence) ?? 0) >= RETRY_MS);
    if (wanted.length === 0) return;
    for (const sequence of wanted) transfer.requested.set(sequence, now);
    this.resendRequested += wanted.length;
    if (quiet) transfer.lastArrival = now; // wait for the resends before asking again
    for (const ranges of formatRanges(wanted)) {
      this.client.request('resend', id, ranges).catch(() => {});
    }
  }
}
