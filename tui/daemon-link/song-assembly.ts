/**
 * Putting a song streamed over UDP back together (docs/protocol.md, UDP, `stream`): packets by
 * sequence number into the stream's bytes, blocks handed out in order once all their packets are
 * in and their SHA-256 matches, and the list of what is still missing for `resend`. Pure.
 */
import { createHash } from 'node:crypto';
import type { StreamPlan } from '../../common/protocol/replies.js';
import type { BlockHeader } from '../../common/protocol/response.js';

export interface CompletedBlock {
  header: BlockHeader;
  bytes: Buffer;
}

export class SongAssembly {
  private readonly bytes: Buffer;
  private readonly have: Uint8Array;
  private haveCount = 0;
  /** Next block to hand out, as an index into plan.blocks. */
  private nextBlock = 0;
  private readonly blockStart: number[] = [];
  private readonly total: number;

  constructor(readonly plan: StreamPlan) {
    let offset = 0;
    for (const block of plan.blocks) {
      this.blockStart.push(offset);
      offset += block.bytes;
    }
    this.total = offset;
    this.bytes = Buffer.alloc(offset);
    this.have = new Uint8Array(plan.packets);
  }

  get complete(): boolean {
    return this.nextBlock >= this.plan.blocks.length;
  }

  get received(): number {
    return this.haveCount;
  }

  /**
   * One AUDIO payload. Returns 'duplicate' when that packet was in already, 'bad' when its size
   * does not fit the plan (not taken), else 'new'.
   */
  add(sequence: number, payload: Buffer): 'new' | 'duplicate' | 'bad' {
    if (sequence >= this.plan.packets) return 'bad';
    const at = sequence * this.plan.packetBytes;
    const expected = Math.min(this.plan.packetBytes, this.total - at);
    if (payload.length !== expected) return 'bad';
    if (this.have[sequence]) return 'duplicate';
    this.have[sequence] = 1;
    this.haveCount++;
    payload.copy(this.bytes, at);
    return 'new';
  }

  /**
   * Blocks now whole, in order, each checked against its SHA-256. A block that fails its hash
   * has its packets marked missing again (to be resent) and stops the handing out.
   */
  takeBlocks(): CompletedBlock[] {
    const out: CompletedBlock[] = [];
    while (this.nextBlock < this.plan.blocks.length) {
      const header = this.plan.blocks[this.nextBlock] as BlockHeader;
      const start = this.blockStart[this.nextBlock] as number;
      const [first, last] = this.packetsOf(start, header.bytes);
      for (let sequence = first; sequence <= last; sequence++) if (!this.have[sequence]) return out;
      const bytes = Buffer.from(this.bytes.subarray(start, start + header.bytes));
      if (createHash('sha256').update(bytes).digest('hex') !== header.sha256) {
        for (let sequence = first; sequence <= last; sequence++) this.unmark(sequence);
        return out;
      }
      out.push({ header, bytes });
      this.nextBlock++;
    }
    return out;
  }

  /** Sequence numbers not received below `below` (all of them by default), in order. */
  missing(below = this.plan.packets, limit = Infinity): number[] {
    const out: number[] = [];
    for (let sequence = 0; sequence < Math.min(below, this.plan.packets) && out.length < limit; sequence++)
      if (!this.have[sequence]) out.push(sequence);
    return out;
  }

  private unmark(sequence: number): void {
    if (this.have[sequence]) this.haveCount--;
    this.have[sequence] = 0;
  }

  private packetsOf(start: number, length: number): [number, number] {
    const size = this.plan.packetBytes;
    return [Math.floor(start / size), Math.max(Math.floor(start / size), Math.ceil((start + length) / size) - 1)];
  }
}
