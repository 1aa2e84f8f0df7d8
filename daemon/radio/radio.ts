/**
 * The live radio of docs/protocol.md, UDP: subscription (SUBSCRIBE, ACCEPT with a token, audio
 * only after the token comes back in a KEEPALIVE, REJECT when full or duplicate, LEAVE, silence =
 * dropped) and the programme sent in real time as whole MP3 frames, one frame a datagram, the
 * same bytes to every listener; and to its outlets (Icecast sources), which keep it running while
 * one is connected. With no listener and no outlet connected there is no timer and no file open.
 */
import { randomInt } from 'node:crypto';
import { DatagramType, HEADER_BYTES, RejectReason, writeHeader, type Datagram } from '../../common/datagram/codec.js';
import {
  acceptDatagram,
  infoDatagram,
  rejectDatagram,
  subscriberName,
  type StreamInfo,
} from '../../common/datagram/messages.js';
import type { RadioSettings } from '../../common/config-schema.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Logger } from '../log.js';
import { openFrameSource, type FrameSource } from './frame-source.js';
import { ListenerRegistry } from './listeners.js';
import { RadioOutlets } from './outlets.js';
import { Programme, type ProgrammeSlot } from './programme.js';
import type { Peer, Send, UdpCounters } from '../udp/udp-types.js';

/** Seconds of frames read ahead of the clock. */
const READ_AHEAD_SECONDS = 3;
const EXPIRE_EVERY_MS = 1000;

export interface RadioStatus {
  state: 'off' | 'idle' | 'playing' | 'ended';
  stream: number;
  listeners: number;
  slot: ProgrammeSlot | undefined;
  /** Seconds into the song now. */
  position: number;
}

export class Radio {
  readonly stream = randomInt(1, 2 ** 31);
  private readonly listeners: ListenerRegistry;
  private readonly programme: Programme;
  private sequence = 0;
  private slot: ProgrammeSlot | undefined;
  private source: FrameSource | undefined;
  /** Programme time up to which frames have been sent. */
  private sentUntil = 0;
  /** A song is being opened: sending waits for it. */
  private busy = false;
  private filling = false;
  /** After a song could not be opened, the next try waits a moment (a library of broken files must not spin). */
  private retryAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastExpire = 0;
  private closed = false;
  /** Fires when the programme's song changes by the clock, listened to or not (`idle radio`). */
  private songEndTimer: NodeJS.Timeout | undefined;
  /** Told when what `status()` says changed: now playing, listeners, state (`idle radio`). */
  onChange: () => void = () => {};
  /** Icecast sources: the programme runs while one is connected. */
  readonly outlets = new RadioOutlets();

  constructor(
    private readonly settings: RadioSettings,
    listenerTimeoutSeconds: number,
    catalog: Catalog,
    private readonly send: Send,
    private readonly counters: UdpCounters,
    private readonly log: Logger,
  ) {
    this.listeners = new ListenerRegistry(listenerTimeoutSeconds * 1000);
    this.programme = new Programme(catalog, settings, log);
  }

  /** A song's file that failed to close: told, and the programme goes on. */
  private readonly closeFailed = (error: Error): void =>
    this.log.debug(`radio: closing a song failed: ${error.message}`);

  /** The catalog is open: the programme's clock starts now (it starts when first asked otherwise). */
  begin(): void {
    if (this.settings.enabled) this.programme.at(this.programme.timeAt(Date.now()));
    this.watchSongEnd();
  }

  /** One wake-up per song, so that `idle radio` hears of a new song with nobody listening too. */
  private watchSongEnd(): void {
    clearTimeout(this.songEndTimer);
    if (!this.settings.enabled || this.closed) return;
    const time = this.programme.timeAt(Date.now());
    const slot = this.programme.at(time);
    if (!slot) return;
    const left = slot.startMs + slot.song.info.duration * 1000 - time;
    this.songEndTimer = setTimeout(
      () => {
        this.onChange();
        this.watchSongEnd();
      },
      Math.max(50, left + 20),
    );
    this.songEndTimer.unref();
  }

  /** An outlet connected or went: the programme starts for it, or stops when nobody is left. */
  outletChanged(): void {
    if (this.outlets.wanted && this.settings.enabled && !this.programme.hasEnded) this.startSending();
    this.onChange();
  }

  /** Anyone to send to: a UDP listener or a connected outlet. */
  private get audience(): boolean {
    return this.listeners.size > 0 || this.outlets.wanted;
  }

  status(now = Date.now()): RadioStatus {
    const slot = this.settings.enabled ? this.programme.at(this.programme.timeAt(now)) : undefined;
    const state = !this.settings.enabled
      ? 'off'
      : this.programme.hasEnded
        ? 'ended'
        : this.audience
          ? 'playing'
          : 'idle';
    const position = slot ? Math.max(0, (this.programme.timeAt(now) - slot.startMs) / 1000) : 0;
    return { state, stream: this.stream, listeners: this.listeners.size, slot, position };
  }

  /** A datagram from a client (SUBSCRIBE, KEEPALIVE or LEAVE); `size` is its length on the wire. */
  handle(datagram: Datagram, peer: Peer, size: number): void {
    const key = `${peer.address}:${peer.port}`;
    const now = Date.now();
    const header = { stream: this.stream, sequence: this.sequence, position: this.programme.timeAt(now) >>> 0 };
    const reject = (reason: RejectReason, text: string): void => {
      this.counters.rejected++;
      this.reply(rejectDatagram(header, reason, text, size), peer);
    };
    switch (datagram.type) {
      case DatagramType.SUBSCRIBE: {
        if (subscriberName(datagram.payload) === undefined)
          return reject(RejectReason.BAD_REQUEST, 'the name is not UTF-8 text');
        if (!this.settings.enabled || this.closed) return reject(RejectReason.BAD_REQUEST, 'the radio is off');
        if (this.programme.hasEnded) return reject(RejectReason.BAD_REQUEST, 'the programme has ended');
        if (this.listeners.get(key)) return reject(RejectReason.DUPLICATE, 'this address is listening already');
        if (this.listeners.size >= this.settings.max_listeners)
          return reject(RejectReason.FULL, `${this.settings.max_listeners} listeners: the radio is full`);
        const accept = acceptDatagram(header, this.listeners.tokenFor(key, now), this.streamInfo(now), size);
        if (accept) this.reply(accept, peer);
        return;
      }
      case DatagramType.KEEPALIVE: {
        const listener = this.listeners.get(key);
        if (listener) {
          if (listener.token.equals(datagram.payload)) listener.lastHeard = now;
          else this.counters.malformed++;
          return;
        }
        if (!this.listeners.tokenValid(key, datagram.payload, now) || !this.settings.enabled || this.closed) {
          this.counters.malformed++;
          return;
        }
        // The address is proven now: answers to it may be larger than what it sent.
        if (this.listeners.size >= this.settings.max_listeners) return reject(RejectReason.FULL, 'full');
        this.listeners.add(peer.address, peer.port, datagram.payload, now);
        this.log.debug(`radio: ${key} listening (${this.listeners.size})`);
        this.onChange();
        this.reply(infoDatagram(header, this.streamInfo(now)), peer);
        this.startSending();
        return;
      }
      case DatagramType.LEAVE: {
        const listener = this.listeners.get(key);
        if (listener?.token.equals(datagram.payload)) {
          this.listeners.remove(key);
          this.log.debug(`radio: ${key} left (${this.listeners.size})`);
          this.onChange();
        } else this.counters.malformed++;
        return;
      }
      default:
        this.counters.malformed++; // a server-to-client type sent to the server
    }
  }

  /** The daemon stops: every listener gets END. */
  close(): void {
    this.closed = true;
    clearTimeout(this.songEndTimer);
    this.endAll();
  }

  private reply(bytes: Buffer, peer: Peer): void {
    if (!this.send(bytes, peer)) return void this.counters.radioDropped++;
    this.counters.datagramsSent++;
    this.counters.bytesSent += bytes.length;
  }

  private streamInfo(now: number): StreamInfo {
    const slot = this.slot ?? this.programme.at(this.programme.timeAt(now));
    const song = slot?.song.info;
    if (!song) return { format: 'mp3', sample_rate: 0, channels: 0 };
    return {
      format: 'mp3',
      sample_rate: song.sampleRate,
      channels: Math.min(2, song.channels),
      song: song.id,
      file: song.file,
      title: song.title,
      artist: song.artist,
      album: song.album,
      duration: song.duration,
      started_ms: slot.startMs >>> 0,
    };
  }

  /** Datagrams are going out (to listeners, or to Icecast). */
  get sending(): boolean {
    return this.timer !== undefined;
  }

  private startSending(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.tick(), this.settings.interval_ms);
  }

  private stopSending(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.slot = undefined;
    const source = this.source;
    this.source = undefined;
    void source?.close().catch(this.closeFailed);
  }

  private endAll(): void {
    const end = Buffer.alloc(HEADER_BYTES);
    writeHeader(end, DatagramType.END, this.stream, this.sequence, this.sentUntil >>> 0);
    const had = this.listeners.size;
    for (const listener of this.listeners.clear()) this.reply(end, listener);
    this.stopSending();
    if (had > 0 || this.programme.hasEnded) this.onChange();
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastExpire >= EXPIRE_EVERY_MS) {
      this.lastExpire = now;
      const gone = this.listeners.expire(now);
      for (const listener of gone) this.log.debug(`radio: ${listener.key} silent, dropped`);
      if (gone.length > 0) this.onChange();
    }
    if (!this.audience) return this.stopSending();
    if (this.busy || now < this.retryAt) return;
    const target = this.programme.timeAt(now);
    if (!this.source) return void this.openAt(target);
    const source = this.source;
    const slot = this.slot as ProgrammeSlot;
    const forOutlets: Buffer[] = [];
    while (this.sentUntil <= target) {
      const frame = source.take();
      if (!frame) {
        if (source.exhausted) {
          // The song's frames ran out: the next one starts where the timeline says this one ends.
          this.source = undefined;
          void source.close().catch(this.closeFailed);
          const next = this.programme.next(slot.startMs + slot.song.info.duration * 1000);
          if (!next) return this.programme.hasEnded ? this.endAll() : this.stopSending();
          return void this.open(next, 0);
        }
        break; // reading behind: the next tick catches up
      }
      const position = slot.startMs + frame.start * 1000;
      const bytes = Buffer.allocUnsafe(HEADER_BYTES + frame.bytes.length);
      writeHeader(bytes, DatagramType.AUDIO, this.stream, this.sequence++, Math.round(position) >>> 0);
      frame.bytes.copy(bytes, HEADER_BYTES);
      for (const listener of this.listeners.all()) this.reply(bytes, listener);
      forOutlets.push(frame.bytes);
      this.sentUntil = position + frame.seconds * 1000;
    }
    this.outlets.write(forOutlets);
    if (!this.filling && !source.exhausted && source.buffered < READ_AHEAD_SECONDS) this.read(source);
  }

  private openAt(target: number): Promise<void> {
    const slot = this.programme.at(target);
    if (!slot) return this.programme.hasEnded ? Promise.resolve(this.endAll()) : Promise.resolve();
    return this.open(slot, (target - slot.startMs) / 1000);
  }

  /** Opens the slot's song at `from` seconds; a song that cannot be played is skipped (logged). */
  private async open(slot: ProgrammeSlot, from: number): Promise<void> {
    this.busy = true;
    try {
      const source = await openFrameSource(slot.song, from, this.settings.encode_kbps);
      try {
        await source.fill();
      } catch (error) {
        await source.close().catch(this.closeFailed);
        throw error;
      }
      if (!this.audience || this.closed) {
        await source.close();
        return;
      }
      this.source = source;
      this.slot = slot;
      this.sentUntil = slot.startMs + from * 1000;
      const info = infoDatagram(
        { stream: this.stream, sequence: this.sequence, position: slot.startMs >>> 0 },
        this.streamInfo(Date.now()),
      );
      for (const listener of this.listeners.all()) this.reply(info, listener);
      this.outlets.setTitle(slot.song.info);
      this.log.info(`radio: now playing ${slot.song.info.file} to ${this.listeners.size} listener(s)`);
      this.onChange();
    } catch (error) {
      this.log.warn(`radio: skipping ${slot.song.info.file}: ${(error as Error).message}`);
      this.retryAt = Date.now() + 1000;
      this.programme.next(this.programme.timeAt(this.retryAt));
    } finally {
      this.busy = false;
    }
  }

  private read(source: FrameSource): void {
    this.filling = true;
    source
      .fill()
      .catch((error: Error) => {
        if (this.source !== source) return; // closed meanwhile (the last listener left): not a failure
        this.log.warn(`radio: reading ${this.slot?.song.info.file ?? '?'} failed: ${error.message}; skipping it`);
        this.source = undefined;
        void source.close().catch(this.closeFailed);
        this.programme.next(this.programme.timeAt(Date.now()));
      })
      .finally(() => (this.filling = false));
  }
}
