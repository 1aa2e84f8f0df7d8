/**
 * A call's voice over UDP (docs/protocol.md, Calls): VOICE datagrams to the daemon's UDP port, each
 * the party's token and one Opus packet; what the daemon relays from the other party comes back
 * on the same socket (the address the daemon has seen this party's voice come from). Receiver
 * reports (VOICE_REPORT, docs/protocol.md) go both ways the same way.
 */
import dgram from 'node:dgram';
import { DatagramType, decodeDatagram, encodeDatagram } from '../../common/datagram/codec.js';
import { decodeVoiceReport, encodeVoiceReport, type VoiceReport } from '../../common/datagram/voice-report.js';

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
  /** The other party's report, and its clock when it sent it (the header's position). */
  onReport: ((report: VoiceReport, sentAt: number) => void) | undefined;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (message) => {
      const decoded = decodeDatagram(message);
      if (!decoded.ok || decoded.datagram.stream !== this.call) return;
      const { type, sequence, position, payload } = decoded.datagram;
      if (type === DatagramType.VOICE) this.onPacket?.({ sequence, position, packet: Buffer.from(payload) });
      else if (type === DatagramType.VOICE_REPORT) {
        const report = decodeVoiceReport(payload);
        if (report) this.onReport?.(report, position);
      }
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

  sendReport(token: Buffer, sequence: number, sentAt: number, report: VoiceReport): void {
    if (this.call === undefined) return;
    const payload = Buffer.concat([token, encodeVoiceReport(report)]);
    this.socket.send(
      encodeDatagram({ type: DatagramType.VOICE_REPORT, stream: this.call, sequence, position: sentAt, payload }),
    );
  }

  close(): void {
    this.socket.close();
  }
}
