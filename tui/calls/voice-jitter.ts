/**
 * The receiving side of a call's voice (issue 10): VOICE packets come in by sequence number with
 * the sender's 48 kHz sample clock; one 20 ms frame goes out each time the output asks. A missing
 * frame is decoded from the FEC copy the next packet carries when that one is here, else
 * concealed: exactly 20 ms either way, so the voice never loses or gains time. The depth adapts to
 * the jitter measured (RFC 3550's estimator over position vs arrival): twice the jitter plus one
 * frame, between 40 and 200 ms; a buffer that has grown past its depth drops a frame to catch up.
 * Pure but for the decoder it is given; times are passed in.
 */
import { FRAME_SAMPLES, VOICE_RATE, type VoiceDecoder } from '../audio/opus-codec.js';

export const MIN_DEPTH_MS = 40;
export const MAX_DEPTH_MS = 200;
const FRAME_MS = (1000 * FRAME_SAMPLES) / VOICE_RATE;
/** Packets held at most (over a second of voice): a peer that sends faster than it speaks gains no memory. */
const MAX_HELD = 64;
/** Sequence numbers further than this from the expected one are a new stream (the sender restarted). */
const RESET_SEQUENCES = 500;

export interface VoiceCounts {
  /** Frames played from their own packet. */
  received: number;
  /** Frames whose packet had not come in time: `recovered` of them from FEC, the rest concealed. */
  lost: number;
  recovered: number;
  /** Packets that came after their frame was played (or dropped to catch up): not played. */
  late: number;
  duplicate: number;
}

export class VoiceJitterBuffer {
  private readonly packets = new Map<number, Uint8Array>();
  /** The sequence number of the next frame to play; undefined until playout starts. */
  private next: number | undefined;
  private firstArrival: number | undefined;
  private jitter = 0;
  private transit: number | undefined;
  readonly counts: VoiceCounts = { received: 0, lost: 0, recovered: 0, late: 0, duplicate: 0 };

  constructor(private readonly decoder: VoiceDecoder) {}

  /** The depth aimed at now, ms. */
  get depthMs(): number {
    return Math.min(MAX_DEPTH_MS, Math.max(MIN_DEPTH_MS, 2 * this.jitter + FRAME_MS));
  }

  /** Jitter measured so far (RFC 3550 interarrival jitter), ms. */
  get jitterMs(): number {
    return this.jitter;
  }

  push(sequence: number, position: number, packet: Uint8Array, arrivalMs: number): void {
    if (this.next !== undefined && Math.abs(sequence - this.next) > RESET_SEQUENCES) this.reset();
    if (this.next !== undefined && sequence < this.next) return void this.counts.late++;
    if (this.packets.has(sequence)) return void this.counts.duplicate++;
    if (this.packets.size >= MAX_HELD) return void this.counts.late++; // it could not be played in time anyway
    this.packets.set(sequence, packet);
    this.firstArrival ??= arrivalMs;
    // RFC 3550 6.4.1: the running mean of the difference in transit time, in ms.
    const transit = arrivalMs - (position / VOICE_RATE) * 1000;
    if (this.transit !== undefined) this.jitter += (Math.abs(transit - this.transit) - this.jitter) / 16;
    this.transit = transit;
  }

  /** The next 20 ms of voice, or undefined while the buffer fills (or nothing has come). */
  pull(nowMs: number): Int16Array | undefined {
    if (this.next === undefined) {
      if (this.firstArrival === undefined || nowMs - this.firstArrival < this.depthMs) return undefined;
      this.next = Math.min(...this.packets.keys());
    }
    // Grown past the depth (a burst after a stall): drop the oldest frame to catch up.
    if (this.buffered() * FRAME_MS > this.depthMs + 2 * FRAME_MS && this.packets.has(this.next)) {
      this.packets.delete(this.next);
      this.next++;
      this.counts.late++;
    }
    const sequence = this.next;
    this.next++;
    const packet = this.packets.get(sequence);
    if (packet) {
      this.packets.delete(sequence);
      this.counts.received++;
      return this.decoder.decode(packet);
    }
    if (this.packets.size === 0) {
      // Nothing more has come: the other side is quiet or gone; do not run ahead of it.
      this.next = sequence;
      return undefined;
    }
    this.counts.lost++;
    const following = this.packets.get(sequence + 1);
    if (following) {
      this.counts.recovered++;
      return this.decoder.decodeFec(following);
    }
    return this.decoder.conceal();
  }

  private buffered(): number {
    return this.next === undefined ? 0 : Math.max(0, this.highest() - this.next + 1);
  }

  private highest(): number {
    let most = -1;
    for (const sequence of this.packets.keys()) if (sequence > most) most = sequence;
    return most;
  }

  private reset(): void {
    this.packets.clear();
    this.next = undefined;
    this.firstArrival = undefined;
    this.transit = undefined;
  }
}
