/**
 * What a listener counts of a datagram stream (docs/protocol.md, UDP: received, lost, late and
 * duplicate, per second), from sequence numbers alone. Pure: the time is passed in.
 *
 * - received: distinct sequence numbers that arrived (late ones included).
 * - lost: a gap still open `horizonMs` after a later datagram showed it; final (one that arrives
 *   after that is counted late as well, never played).
 * - late: arrived after a higher sequence number (reordered).
 * - duplicate: a sequence number that had arrived already.
 * - jitter: RFC 3550's interarrival jitter, when the position field is media time in ms.
 */

export interface LossCounts {
  received: number;
  lost: number;
  late: number;
  duplicate: number;
}

export type Arrival = 'new' | 'late' | 'duplicate';

const zero = (): LossCounts => ({ received: 0, lost: 0, late: 0, duplicate: 0 });
const isZero = (counts: LossCounts): boolean => counts.received + counts.lost + counts.late + counts.duplicate === 0;
/** Sequence numbers remembered for duplicate detection behind the highest. */
const SEEN_WINDOW = 8192;
/** A jump larger than this is a new stream (or garbage), not a gap to count. */
const MAX_GAP = 10_000;

/** Loss as a percentage of the datagrams that were sent: lost / (received + lost). */
export const lossPercent = (counts: LossCounts): number =>
  counts.received + counts.lost === 0 ? 0 : (100 * counts.lost) / (counts.received + counts.lost);

export class LossMeter {
  readonly totals: LossCounts = zero();
  /** Counts of each whole second, oldest first, at most `keepSeconds`. */
  readonly seconds: LossCounts[] = [];
  jitterMs = 0;
  private current: LossCounts = zero();
  private currentSecond: number | undefined;
  private highest: number | undefined;
  private readonly seen = new Set<number>();
  private readonly missing = new Map<number, number>();
  private lastTransit: number | undefined;

  constructor(
    private readonly horizonMs = 1000,
    private readonly keepSeconds = 60,
  ) {}

  /** One datagram arrived at `nowMs`; `mediaMs` is its position when that is media time. */
  receive(sequence: number, nowMs: number, mediaMs?: number): Arrival {
    this.advance(nowMs);
    if (this.seen.has(sequence) || (this.highest !== undefined && sequence <= this.highest - SEEN_WINDOW)) {
      this.count('duplicate');
      return 'duplicate';
    }
    this.seen.add(sequence);
    this.count('received');
    if (mediaMs !== undefined) this.updateJitter(nowMs - mediaMs);
    if (this.highest === undefined || sequence - this.highest > MAX_GAP) {
      this.highest = sequence;
      return 'new';
    }
    if (sequence > this.highest) {
      for (let gap = this.highest + 1; gap < sequence; gap++) this.missing.set(gap, nowMs);
      this.highest = sequence;
      if (this.seen.size > 2 * SEEN_WINDOW) this.prune();
      return 'new';
    }
    this.missing.delete(sequence);
    this.count('late');
    return 'late';
  }

  /** Declares gaps older than the horizon lost and closes finished seconds. Call it often (a timer). */
  advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (this.currentSecond === undefined) this.currentSecond = second;
    for (const [sequence, since] of this.missing) {
      if (nowMs - since < this.horizonMs) break; // gaps are added in time order
      this.missing.delete(sequence);
      this.count('lost');
    }
    while (this.currentSecond < second) {
      this.seconds.push(this.current);
      if (this.seconds.length > this.keepSeconds) this.seconds.shift();
      this.current = zero();
      this.currentSecond++;
      if (second - this.currentSecond > this.keepSeconds) this.currentSecond = second;
    }
  }

  /** The stream ended: every gap still open is lost. */
  finish(nowMs: number): void {
    this.advance(nowMs + this.horizonMs);
  }

  /** Counts over the last `n` whole seconds. */
  recent(n: number): LossCounts {
    const sum = zero();
    for (const counts of this.seconds.slice(-n)) {
      sum.received += counts.received;
      sum.lost += counts.lost;
      sum.late += counts.late;
      sum.duplicate += counts.duplicate;
    }
    return sum;
  }

  /** Nothing counted in the seconds kept, nor pending: a chart of them is flat, and stays so until a datagram comes. */
  get quiet(): boolean {
    return this.missing.size === 0 && isZero(this.current) && this.seconds.every(isZero);
  }

  /** Gaps not yet declared lost (for repair: these may still arrive). */
  get openGaps(): number {
    return this.missing.size;
  }

  private count(kind: keyof LossCounts): void {
    this.totals[kind]++;
    this.current[kind]++;
  }

  private updateJitter(transit: number): void {
    if (this.lastTransit !== undefined) this.jitterMs += (Math.abs(transit - this.lastTransit) - this.jitterMs) / 16;
    this.lastTransit = transit;
  }

  private prune(): void {
    const floor = (this.highest as number) - SEEN_WINDOW;
    for (const sequence of this.seen) if (sequence <= floor) this.seen.delete(sequence);
  }
}
