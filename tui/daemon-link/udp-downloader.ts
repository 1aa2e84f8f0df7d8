/**
 * `--transport udp`: a song's blocks fetched with `stream` instead of `download` (docs/protocol.md
 * section 3). The datagrams come to this downloader's own UDP socket; gaps are asked for again
 * with `resend` as soon as they are clearly gaps (not reordering), so blocks complete nearly in
 * order and playback can start on the first; every block is checked against its SHA-256, so the
 * cache ends byte-identical to a TCP download. Offers the same `download` as DaemonClient.
 * The port proves it wants each stream (protocol 1.2): the answer's token goes back in a KEEPALIVE
 * from this socket, again until the first datagram comes and every 5 s after; LEAVE when done.
 */
import dgram from 'node:dgram';
import { decodeDatagram, DatagramType, type Datagram } from '../../common/datagram/codec.js';
import { tokenDatagram } from '../../common/datagram/messages.js';
import { formatRanges } from '../../common/datagram/ranges.js';
import type { DaemonClient, DownloadHandlers, Reply } from './daemon-client.js';
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
/** The proving KEEPALIVE is sent again this often until the first datagram comes (it may be lost)... */
const PROOF_RETRY_MS = 200;
/** ...and this often after, so that the daemon knows the port still wants the stream. */
const KEEPALIVE_MS = 5000;

interface Transfer {
  assembly: SongAssembly;
  handlers: DownloadHandlers;
  requested: Map<number, number>;
  highest: number;
  lastArrival: number;
  lastProgress: number;
  ended: boolean;
  token: Buffer | undefined;
  heard: boolean;
  lastKeepalive: number;
  finish(error?: Error): void;
}

export class UdpDownloader {
  private socket: dgram.Socket | undefined;
  private binding: Promise<number> | undefined;
  private readonly transfers = new Map<number, Transfer>();
  /** The port the daemon is told to send to: unset, this downloader's own; or a relay's in front of it. */
  advertisedPort: number | undefined;
  /** Where KEEPALIVEs go: unset, the daemon's UDP port; or a relay's that passes them on from `advertisedPort`. */
  keepalivePort: number | undefined;
  /** Packets asked for again with `resend`, over this downloader's life. */
  resendRequested = 0;
  /** Told of each first arrival of a packet (not a repair), for the loss meter: loss before repair. */
  onArrival: ((sequence: number) => void) | undefined;

  /** `daemon` is the daemon's UDP address, where the KEEPALIVEs that prove this socket go. */
  constructor(
    private readonly client: DaemonClient,
    private readonly daemon: { host: string; port: number },
  ) {}

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
  async download(
    song: string | number,
    first: number,
    last: number | undefined,
    handlers: DownloadHandlers,
  ): Promise<Reply> {
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
        token: assembly.plan.token === undefined ? undefined : Buffer.from(assembly.plan.token, 'hex'),
        heard: false,
        lastKeepalive: now,
        finish: (error) => {
          clearInterval(timer);
          this.keepalive(id, transfer, DatagramType.LEAVE);
          this.client.off('offline', offline);
          this.transfers.delete(id);
          if (error) reject(error);
          else resolve(reply);
        },
      };
      this.transfers.set(id, transfer);
      this.client.once('offline', offline);
      this.keepalive(id, transfer, DatagramType.KEEPALIVE);
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
    if (!transfer) return;
    const now = Date.now();
    transfer.lastArrival = now;
    transfer.heard = true;
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

  private keepalive(
    id: number,
    transfer: Transfer,
    type: typeof DatagramType.KEEPALIVE | typeof DatagramType.LEAVE,
  ): void {
    if (!transfer.token || !this.socket) return; // a daemon before 1.2 sends without it
    transfer.lastKeepalive = Date.now();
    this.socket.send(tokenDatagram(type, id, transfer.token), this.keepalivePort ?? this.daemon.port, this.daemon.host);
  }

  /** Asks again for packets that are clearly lost: behind the reorder window, or all once the stream went quiet. */
  private repair(id: number, transfer: Transfer): void {
    const now = Date.now();
    if (now - transfer.lastProgress > STALL_MS)
      return transfer.finish(new Error(`UDP stream ${id} stalled: no packet for ${STALL_MS / 1000} s`));
    if (now - transfer.lastKeepalive >= (transfer.heard ? KEEPALIVE_MS : PROOF_RETRY_MS))
      this.keepalive(id, transfer, DatagramType.KEEPALIVE);
    if (!transfer.heard) return; // nothing to repair before the stream begins
    const quiet =
      now - transfer.lastArrival >= QUIET_MS && (transfer.ended || now - transfer.lastArrival >= 4 * QUIET_MS);
    const below = quiet ? transfer.assembly.plan.packets : transfer.highest - REORDER_PACKETS;
    const wanted = transfer.assembly
      .missing(below, MAX_REPAIR_PACKETS)
      .filter((sequence) => now - (transfer.requested.get(sequence) ?? 0) >= RETRY_MS);
    if (wanted.length === 0) return;
    for (const sequence of wanted) transfer.requested.set(sequence, now);
    this.resendRequested += wanted.length;
    if (quiet) transfer.lastArrival = now; // wait for the resends before asking again
    for (const ranges of formatRanges(wanted)) {
      this.client
        .request('resend', id, ranges)
        .catch((error: Error) => this.client.emit('debug', `resend ${id} ${ranges}: ${error.message}`));
    }
  }
}
