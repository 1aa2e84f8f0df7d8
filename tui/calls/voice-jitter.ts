/**
 * The receiving side of a call's voice: VOICE packets come in by sequence number with
 * the sender's 48 kHz sample clock; one 20 ms frame goes out each time the output asks. A missing
 * frame is decoded from the FEC copy the next packet carries when that one is here, else
 * concealed: exactly 20 ms either way, so the voice never loses or gains time. The depth adapts to
 * how late packets come: twice the jitter (RFC 3550's estimator over position vs arrival) plus one
 * frame, or, when more, the latest a packet came in the last PEAK_HOLD_MS against the quickest
 * of the BASELINE_MS before it, plus one frame (a sender or a relay held up on a busy machine
 * sends its voice late in a burst: a peak the smoothed jitter hides; packets that follow a pause
 * are not measured), between 40 and 200 ms; a
 * buffer that has grown past its depth drops back to it at once. Run dry in the middle of speech,
 * it conceals a few frames (Opus's loss concealment fades out) before it falls silent, and plays
 * on where it was when the voice comes: the delay grows by the time it waited, up to the depth.
 *
 * The sender sends nothing in silence (Opus DTX): its sequence numbers run on while its clock
 * jumps over the frames it kept. When the buffer has run dry and the next packet's clock is
 * further on than its sequence number says, the sender paused: that talkspurt fills the buffer to
 * its depth again before it plays, as at the start (the delay is set anew where the silence hides
 * it), and packets skipped before it were lost. A buffer run dry for loss or lateness alone plays
 * on, the missing frames from FEC or concealed, as before it ran dry. A jump in the clock between
 * packets held is played as silence, not loss.
 * Pure but for the decoder it is given; times are passed in.
 */
import { WindowExtreme } from '../../common/window-extreme.js';
import { FRAME_SAMPLES, VOICE_RATE, type VoiceDecoder } from '../audio/opus-codec.js';

export const MIN_DEPTH_MS = 40;
export const MAX_DEPTH_MS = 200;
const FRAME_MS = (1000 * FRAME_SAMPLES) / VOICE_RATE;
/** Packets held at most (over a second of voice): a peer that sends faster than it speaks gains no memory. */
const MAX_HELD = 64;
/** Sequence numbers further than this from the expected one are a new stream (the sender restarted). */
const RESET_SEQUENCES = 500;
/** A packet's lateness is kept this long (ms): the depth stays up to it for as long. */
const PEAK_HOLD_MS = 10_000;
/** Lateness is measured against the quickest packet of this long before (ms): the clocks may drift. */
const BASELINE_MS = 2_000;
/** Frames concealed at most while it waits, run dry in speech: then silence. */
const MAX_DRY_CONCEALED = 5;

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
  /** Packets that came but would not decode (corrupt, or crafted): concealed instead. */
  corrupt: number;
}

interface Held {
  packet: Uint8Array;
  position: number;
  arrival: number;
}

export class VoiceJitterBuffer {
  private readonly packets = new Map<number, Held>();
  /** The sequence number of the next frame to play; undefined before the first packet. */
  private next: number | undefined;
  /** The sender's clock at the next frame to play. */
  private position = 0;
  /** Filling to the depth (at the start, and at a talkspurt after a pause) since this arrival, ms. */
  private fillingFrom: number | undefined;
  /** The last pull found nothing to play. */
  private dry = false;
  private jitter = 0;
  private transit: number | undefined;
  private readonly quickest = new WindowExtreme(BASELINE_MS, -1);
  private readonly latest = new WindowExtreme(PEAK_HOLD_MS);
  private lastPushed: { sequence: number; position: number } | undefined;
  /** Frames concealed since it ran dry in speech, and whether what played last was speech (not a pause). */
  private dryConcealed = 0;
  private speaking = false;
  /** Frames played without their packet lately, and whether from FEC: one that comes later is late, not lost. */
  private readonly missed = new Map<number, boolean>();
  /** Frames played without their own packet (lost or late): what the listener missed. */
  playedWithout = 0;
  readonly counts: VoiceCounts = { received: 0, lost: 0, recovered: 0, late: 0, duplicate: 0, corrupt: 0 };

  constructor(private readonly decoder: VoiceDecoder) {}

  /** The depth aimed at now, ms. */
  get depthMs(): number {
    const wanted = Math.max(2 * this.jitter, this.latest.best ?? 0) + FRAME_MS;
    return Math.min(MAX_DEPTH_MS, Math.max(MIN_DEPTH_MS, wanted));
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
    this.packets.set(sequence, { packet, position, arrival: arrivalMs });
    // RFC 3550 6.4.1: the running mean of the difference in transit time, in ms.
    const transit = arrivalMs - (position / VOICE_RATE) * 1000;
    if (this.transit !== undefined) this.jitter += (Math.abs(transit - this.transit) - this.jitter) / 16;
    this.transit = transit;
    // Lateness only from a packet a frame on from the one before it: across a pause (DTX) the
    // sender's clock is placed by its timer, not by its microphone, and would read as lateness.
    const before = this.lastPushed;
    this.lastPushed = { sequence, position };
    if (!before || sequence !== before.sequence + 1 || ((position - before.position) | 0) !== FRAME_SAMPLES) return;
    this.quickest.add(arrivalMs, transit);
    this.latest.add(arrivalMs, transit - (this.quickest.best as number));
  }

  /** The next 20 ms of voice, or undefined: silence (the buffer fills, or the other side sends nothing). */
  pull(nowMs: number): Int16Array | undefined {
    if (this.packets.size === 0) {
      // Nothing here: the other side is quiet (DTX) or its packets are lost or late; do not run
      // ahead of it. In speech, what would be a hard gap is concealed for a while (faded).
      this.dry = this.next !== undefined;
      if (this.speaking && this.dryConcealed < MAX_DRY_CONCEALED) {
        this.dryConcealed++;
        return this.decoder.conceal();
      }
      return undefined;
    }
    this.dryConcealed = 0;
    if (this.next === undefined || this.dry) this.resume();
    if (this.next === undefined) return undefined;
    if (this.fillingFrom !== undefined) {
      if (nowMs - this.fillingFrom < this.depthMs) return undefined;
      this.fillingFrom = undefined;
    }
    // Grown past the depth (a burst after a stall, an output that started late): back to the
    // depth at once, the oldest dropped: one skip, not a voice chopped frame by frame.
    if (this.buffered() * FRAME_MS > this.depthMs + 2 * FRAME_MS) {
      while (this.buffered() * FRAME_MS > this.depthMs) {
        const dropped = this.packets.get(this.next);
        if (dropped) {
          this.packets.delete(this.next);
          this.counts.late++;
        } else {
          this.missing(this.next, false); // skipped, but the network's loss all the same
          this.playedWithout++;
        }
        this.played(this.next, dropped?.position ?? this.position);
      }
    }
    const sequence = this.next;
    const held = this.packets.get(sequence);
    if (held) {
      // Further on in the sender's clock than this frame: it sent nothing in between (DTX).
      const ahead = (held.position - this.position) | 0;
      if (ahead >= FRAME_SAMPLES && ahead <= MAX_HELD * FRAME_SAMPLES) {
        this.position = (this.position + FRAME_SAMPLES) >>> 0;
        this.speaking = false;
        return undefined;
      }
      this.played(sequence, held.position);
      this.packets.delete(sequence);
      this.counts.received++;
      this.speaking = true;
      return this.decodeOrConceal(() => this.decoder.decode(held.packet));
    }
    this.speaking = true;
    this.played(sequence, this.position);
    this.playedWithout++;
    const following = this.packets.get(sequence + 1);
    this.missing(sequence, following !== undefined);
    return following ? this.decodeOrConceal(() => this.decoder.decodeFec(following.packet)) : this.decoder.conceal();
  }

  /** Whatever a peer sends, the call plays on: a packet the decoder refuses is counted and concealed. */
  private decodeOrConceal(decode: () => Int16Array): Int16Array {
    try {
      return decode();
    } catch {
      this.counts.corrupt++;
      return this.decoder.conceal();
    }
  }

  /**
   * Packets again after none (or the first ever): playout starts, filling to the depth, at the
   * first packet, or at a talkspurt after a pause (its clock further on than its sequence number
   * says); else it plays on where it was.
   */
  private resume(): void {
    this.dry = false;
    const first = Math.min(...this.packets.keys());
    const held = this.packets.get(first) as Held;
    if (this.next !== undefined && ((held.position - this.position) | 0) <= (first - this.next) * FRAME_SAMPLES) return;
    for (let sequence = this.next ?? first; sequence < first; sequence++) {
      this.missing(sequence, false);
      this.playedWithout++;
    }
    this.next = first;
    this.position = held.position;
    this.fillingFrom = held.arrival;
    this.speaking = false;
  }

  private played(sequence: number, position: number): void {
    this.next = sequence + 1;
    this.position = (position + FRAME_SAMPLES) >>> 0;
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
    this.fillingFrom = undefined;
    this.dry = false;
    this.transit = undefined;
    this.quickest.clear();
    this.latest.clear();
    this.lastPushed = undefined;
    this.speaking = false;
  }
}
