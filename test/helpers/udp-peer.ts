/** A UDP socket for tests: sends raw datagrams and collects what comes back, decoded. */
import dgram from 'node:dgram';
import { decodeDatagram, DatagramType, type Datagram } from '../../common/datagram/codec.js';
import { parseAccept, subscribeDatagram, tokenDatagram } from '../../common/datagram/messages.js';

export interface Received extends Datagram {
  at: number;
  size: number;
}

export class UdpPeer {
  readonly received: Received[] = [];
  readonly raw: Buffer[] = [];
  private waiters: Array<() => void> = [];
  token: Buffer | undefined;
  stream = 0;

  private constructor(
    readonly socket: dgram.Socket,
    private readonly serverPort: number,
  ) {
    socket.on('message', (message) => {
      this.raw.push(message);
      const decoded = decodeDatagram(message);
      if (decoded.ok)
        this.received.push({
          ...decoded.datagram,
          payload: Buffer.from(decoded.datagram.payload),
          at: Date.now(),
          size: message.length,
        });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(serverPort: number): Promise<UdpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpPeer(socket, serverPort);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Buffer, port = this.serverPort): void {
    this.socket.send(bytes, port, '127.0.0.1');
  }

  of(type: DatagramType): Received[] {
    return this.received.filter((datagram) => datagram.type === type);
  }

  /** Waits until `test` holds for what was received, or fails after `timeoutMs`. */
  async until(test: () => boolean, timeoutMs = 5000, what = 'datagrams'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (${this.received.length} received)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SUBSCRIBE, wait for ACCEPT, KEEPALIVE with the token: a listener. */
  async listen(name = 'test'): Promise<void> {
    this.send(subscribeDatagram(name));
    await this.until(
      () => this.of(DatagramType.ACCEPT).length > 0 || this.of(DatagramType.REJECT).length > 0,
      5000,
      'ACCEPT',
    );
    const accept = this.of(DatagramType.ACCEPT)[0];
    if (!accept) throw new Error('rejected');
    this.token = parseAccept(accept.payload)?.token;
    this.stream = accept.stream;
    this.keepalive();
  }

  keepalive(): void {
    this.send(tokenDatagram(DatagramType.KEEPALIVE, this.stream, this.token as Buffer));
  }

  leave(): void {
    this.send(tokenDatagram(DatagramType.LEAVE, this.stream, this.token as Buffer));
  }

  /** Proves this socket wants song stream `stream` (protocol 1.2): its token back in a KEEPALIVE (or a LEAVE). */
  proveStream(
    stream: number | string,
    token: string,
    type: typeof DatagramType.KEEPALIVE | typeof DatagramType.LEAVE = DatagramType.KEEPALIVE,
  ): void {
    this.send(tokenDatagram(type, Number(stream), Buffer.from(token, 'hex')));
  }

  close(): void {
    this.socket.close();
  }
}
