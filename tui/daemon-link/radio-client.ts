/**
 * A radio listener's socket (docs/protocol.md, UDP): SUBSCRIBE (sent again until answered),
 * KEEPALIVE with the token right after ACCEPT and every 5 s, LEAVE when done. Subscribes again
 * when the audio stops for long (the daemon restarted and forgot us). Emits 'accept' (info),
 * 'info' (info), 'audio' (datagram, arrival time), 'reject' (text), 'end', 'failed' (text).
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { decodeDatagram, DatagramType } from '../../common/datagram/codec.js';
import {
  parseAccept,
  parseInfo,
  parseReject,
  subscribeDatagram,
  tokenDatagram,
} from '../../common/datagram/messages.js';

const KEEPALIVE_MS = 5000;
const SUBSCRIBE_RETRY_MS = 1000;
const SUBSCRIBE_TRIES = 5;
/** About 25 s of radio datagrams: enough to ride out a busy event loop. */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;
/** No audio for this long while listening: subscribe again. */
const SILENCE_MS = 6000;

export class RadioClient extends EventEmitter {
  private socket: dgram.Socket | undefined;
  private token: Buffer | undefined;
  private stream = 0;
  private timer: NodeJS.Timeout | undefined;
  private tries = 0;
  private lastAudio = 0;
  private lastKeepalive = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly name: string,
  ) {
    super();
  }

  async start(): Promise<void> {
    const socket = dgram.createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (message) => this.onMessage(message));
    socket.on('error', () => {}); // ICMP port unreachable while the daemon is away: retried anyway
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(false)); // stopped while binding: the bind never completes
      socket.bind(0, () => resolve(true));
    });
    if (!bound || this.socket !== socket) return;
    socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
    this.subscribe();
    this.timer = setInterval(() => this.tick(), 500);
  }

  /**
   * Says LEAVE (when listening) and closes. Resolves once the LEAVE has left: a socket closed
   * right after `send` drops what it had not sent yet, and the daemon would go on sending to
   * this port until its listener_timeout.
   */
  stop(): Promise<void> {
    clearInterval(this.timer);
    const socket = this.socket;
    const token = this.token;
    this.socket = undefined;
    this.token = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      const close = (): void => void socket.close(() => resolve());
      if (token) socket.send(tokenDatagram(DatagramType.LEAVE, this.stream, token), this.port, this.host, close);
      else close();
    });
  }

  private send(bytes: Buffer): void {
    this.socket?.send(bytes, this.port, this.host);
  }

  private subscribe(): void {
    // Subscribing again (the audio stopped): the daemon may still hold this address as a
    // listener, and would refuse a new SUBSCRIBE as a duplicate. Leave first.
    if (this.token) this.send(tokenDatagram(DatagramType.LEAVE, this.stream, this.token));
    this.token = undefined;
    this.tries++;
    this.lastKeepalive = Date.now();
    this.send(subscribeDatagram(this.name));
  }

  private tick(): void {
    const now = Date.now();
    if (!this.token) {
      if (now - this.lastKeepalive < SUBSCRIBE_RETRY_MS) return;
      if (this.tries >= SUBSCRIBE_TRIES) {
        this.tries = 0;
        this.emit('failed', `no answer from streamd's UDP port ${this.port}`);
      }
      return this.subscribe();
    }
    if (now - this.lastAudio > SILENCE_MS) return this.subscribe();
    if (now - this.lastKeepalive >= KEEPALIVE_MS) this.keepalive();
  }

  private keepalive(): void {
    this.lastKeepalive = Date.now();
    if (this.token) this.send(tokenDatagram(DatagramType.KEEPALIVE, this.stream, this.token));
  }

  private onMessage(message: Buffer): void {
    const decoded = decodeDatagram(message);
    if (!decoded.ok) return;
    const datagram = decoded.datagram;
    switch (datagram.type) {
      case DatagramType.ACCEPT: {
        const accept = parseAccept(datagram.payload);
        if (!accept || this.token) return;
        this.token = accept.token;
        this.stream = datagram.stream;
        this.tries = 0;
        this.lastAudio = Date.now();
        this.keepalive();
        this.emit('accept', accept.info);
        return;
      }
      case DatagramType.REJECT:
        if (!this.token) {
          clearInterval(this.timer);
          this.emit('reject', parseReject(datagram.payload).text);
        }
        return;
      case DatagramType.INFO: {
        const info = parseInfo(datagram.payload);
        if (info && datagram.stream === this.stream) this.emit('info', info, datagram.position);
        return;
      }
      case DatagramType.AUDIO:
        if (datagram.stream !== this.stream || !this.token) return;
        this.lastAudio = Date.now();
        this.emit('audio', datagram, this.lastAudio);
        return;
      case DatagramType.END:
        if (datagram.stream !== this.stream) return;
        clearInterval(this.timer);
        this.token = undefined;
        this.emit('end');
        return;
    }
  }
}
