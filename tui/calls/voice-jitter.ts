/**
 * The receiving side of a call's voice (issue 10): VOICE packets come in by sequence number with
 * the sender's 48 kHz sample clock; one 20 ms frame goes out each time the output asks. A missing
 * frame is decoded from the FEC copy the next packet carries when that one is here, else
 * concealed: exactly 20 ms either way, so the voice never loses or gains time. The depth adapts to
 * the jitter measured (RFC 3550's estimator over position vs arrival): twice the jitter plus one
 * frame, between 40 and 200 ms; a buffer that has grown past its depth drops back to it at once.
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
  /** Frames whose packet never came (as far as is known): `recovered` of them from FEC, the rest concealed. */
  lost: number;
  recovered: number;
  /**
   * Packets that came after their frame was played without them (counted lost until they came), or
   * that were dropped to catch up: not played. Lost and late apart, as Mumble shows them: the
   * network's loss, and the playout's.
   */
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
  /** Frames played without their packet lately, and whether from FEC: one that comes later is late, not lost. */
  private readonly missed = new Map<number, boolean>();
  /** Frames played without their own packet (lost or late): what the listener missed. */
  playedWithout = 0;
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
    if (this.next !== undefined && sequence < this.next) return this.tooLate(sequence);
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
    // Grown past the depth (a burst after a stall, an output that started late): back to the
    // depth at once, the oldest dropped: one skip, not a voice chopped frame by frame.
    if (this.buffered() * FRAME_MS > this.depthMs + 2 * FRAME_MS) {
      while (this.buffered() * FRAME_MS > this.depthMs) {
        if (this.packets.delete(this.next)) this.counts.late++;
        else this.missing(this.next, false); // skipped, but the network's loss all the same
        this.next++;
      }
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
    this.playedWithout++;
    const following = this.packets.get(sequence + 1);
    this.missing(sequence, following !== undefined);
    return following ? this.decoder.decodeFec(following) : this.decoder.conceal();
  }

  /** A packet for a frame already played: late if the frame went without it, else a copy. */
  private tooLate(sequence: number): void {
    const recovered = this.missed.get(sequence);
    if (recovered === undefined) return void this.counts.duplicate++;
    this.missed.delete(sequence);
    this.counts.lost--;
    if (recovered) this.counts.recovered--;
    this.counts.late++;
  }

  /** A frame whose packet has not come: lost, until it comes (then late). */
  private missing(sequence: number, recovered: boolean): void {
    this.counts.lost++;
    if (recovered) this.counts.recovered++;
    this.missed.set(sequence, recovered);
    if (this.missed.size > MAX_HELD) this.missed.delete(this.missed.keys().next().value as number);
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
    this.missed.clear();
    this.next = undefined;
    this.firstArrival = undefined;
    this.transit = undefined;
  }
}
