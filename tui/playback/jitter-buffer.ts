/**
 * The radio's jitter buffer: datagrams are held until their moment to play, `delayMs` after the
 * media time they carry (position) as first seen here, so that reordered ones fall into place.
 * A datagram still missing at its moment is given up: the caller conceals it (silence of the
 * length the positions say). Late ones (after their moment) and duplicates are refused. Pure:
 * times are passed in.
 */

export type Playout =
  | { kind: 'audio'; sequence: number; position: number; payload: Buffer }
  | { kind: 'gap'; ms: number; sequences: number };

export type Arrival = 'queued' | 'late' | 'duplicate';

interface Entry {
  position: number;
  durationMs: number;
  payload: Buffer;
}

/** A jump this large in sequence or media time is a new stream (the daemon restarted): start over. */
const RESET_SEQUENCES = 1000;
const RESET_MS = 10_000;
/** Silence longer than this is not written for a gap (a stall, not a loss). */
const MAX_GAP_MS = 1000;

export class JitterBuffer {
  private readonly queue = new Map<number, Entry>();
  private next: number | undefined;
  /** Local time = media time + offset. */
  private offset = 0;
  /** Media time at which the next datagram should start. */
  private expected = 0;

  /**
   * @param delayMs how long after its media time a datagram is played (the buffer's depth).
   * @param leadMs how early it is handed out before that (the sink needs a little ahead).
   */
  constructor(
    private readonly delayMs = 300,
    private readonly leadMs = 60,
  ) {}

  get depth(): number {
    return this.queue.size;
  }

  push(sequence: number, position: number, durationMs: number, payload: Buffer, now: number): Arrival {
    if (
      this.next === undefined ||
      Math.abs(sequence - this.next) > RESET_SEQUENCES ||
      Math.abs(position - this.expected) > RESET_MS
    )
      this.reset(sequence, position, now);
    const next = this.next as number;
    if (sequence < next) return 'late';
    if (this.queue.has(sequence)) return 'duplicate';
    this.queue.set(sequence, { position, durationMs, payload });
    return 'queued';
  }

  /** What is due by `now`, in order: datagrams, and gaps where one never came. */
  pop(now: number): Playout[] {
    const out: Playout[] = [];
    if (this.next === undefined) return out;
    for (;;) {
      const entry = this.queue.get(this.next);
      if (entry) {
        if (now + this.leadMs < entry.position + this.offset) break;
        this.queue.delete(this.next);
        out.push({ kind: 'audio', sequence: this.next, position: entry.position, payload: entry.payload });
        this.expected = entry.position + entry.durationMs;
        this.next++;
        continue;
      }
      // Missing: give it up once its moment has come, if something after it is here.
      if (now + this.leadMs < this.expected + this.offset) break;
      let later: number | undefined;
      for (const sequence of this.queue.keys())
        if (sequence > this.next && (later === undefined || sequence < later)) later = sequence;
      if (later === undefined) break;
      const after = this.queue.get(later) as Entry;
      const ms = Math.min(MAX_GAP_MS, Math.max(0, after.position - this.expected));
      out.push({ kind: 'gap', ms, sequences: later - this.next });
      this.expected += ms;
      this.next = later;
    }
    return out;
  }

  private reset(sequence: number, position: number, now: number): void {
    this.queue.clear();
    this.next = sequence;
    this.expected = position;
    this.offset = now - position + this.delayMs;
  }
}
