/**
 * A call's voice over UDP (PROTOCOL.md section 5): VOICE datagrams to the daemon's UDP port, each
 * the party's token and one Opus packet; what the daemon relays from the other party comes back
 * on the same socket (the address the daemon has seen this party's voice come from).
 */
import dgram from 'node:dgram';
import { DatagramType, decodeDatagram, encodeDatagram } from '../../common/datagram/codec.js';

export interface VoicePacket {
  sequence: number;
  /** The sender's 48 kHz sample clock. */
  position: number;
  packet: Buffer;
}

export class VoiceLink {
  /** The call whose voice is taken; datagrams of any other are ignored. */
  call: number | undefined;
  onPacket: ((packet: VoicePacket) => void) | undefined;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (message) => {
      const decoded = decodeDatagram(message);
      if (!decoded.ok || decoded.datagram.type !== DatagramType.VOICE || decoded.datagram.stream !== this.call) return;
      const { sequence, position, payload } = decoded.datagram;
      this.onPacket?.({ sequence, position, packet: Buffer.from(payload) });
    });
    socket.on('error', () => {}); // a send to a daemon that went away: the call ends by signalling
  }

  static async open(daemon: { host: string; port: number }): Promise<VoiceLink> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    // Connected: the address is looked up once, not on each of 50 sends a second (a profile showed
    // it), and only the daemon's datagrams come in.
    await new Promise<void>((resolve) => socket.connect(daemon.port, daemon.host, resolve));
    return new VoiceLink(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(token: Buffer, sequence: number, position: number, packet: Uint8Array): void {
    if (this.call === undefined) return;
    const payload = Buffer.concat([token, packet]);
    this.socket.send(encodeDatagram({ type: DatagramType.VOICE, stream: this.call, sequence, position, payload }));
  }

  close(): void {
    this.socket.close();
  }
}
