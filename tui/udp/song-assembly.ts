/**
 * Putting a song streamed over UDP back together (PROTOCOL.md section 3, `stream`): packets by
 * sequence number into the stream's bytes, blocks handed out in order once all their packets are
 * in and their SHA-256 matches, and the list of what is still missing for `resend`. Pure.
 */
import { createHash } from 'node:crypto';
import type { BlockHeader } from '../../common/protocol/response.js';

/** What the `stream` answer said. */
export interface StreamPlan {
  stream: number;
  packets: number;
  packetBytes: number;
  /** The blocks in the stream, in order, as `stream_block:` fields give them. */
  blocks: BlockHeader[];
}

/** Reads the `stream` answer's fields. @throws Error when a field is missing or does not add up. */
export function parseStreamPlan(fields: ReadonlyArray<readonly [string, string]>): StreamPlan {
  const one = (key: string): number => {
    const value = fields.find(([k]) => k === key)?.[1];
    if (value === undefined || !/^\d+$/.test(value)) throw new Error(`stream answer without a valid ${key}`);
    return Number(value);
  };
  const blocks = fields
    .filter(([key]) => key === 'stream_block')
    .map(([, value]) => {
      const m = /^(\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+) ([0-9a-f]{64})$/.exec(value);
      if (!m) throw new Error(`bad stream_block field '${value.slice(0, 80)}'`);
      return { index: Number(m[1]), start: Number(m[2]), end: Number(m[3]), bytes: Number(m[4]), sha256: m[5] as string };
    });
  const plan = { stream: one('stream'), packets: one('packets'), packetBytes: one('packet_bytes'), blocks };
  const total = blocks.reduce((sum, block) => sum + block.bytes, 0);
  if (plan.packetBytes === 0 || Math.max(1, Math.ceil(total / plan.packetBytes)) !== plan.packets) {
    throw new Error(`stream answer does not add up: ${plan.packets} packets of ${plan.packetBytes} bytes for ${total} bytes`);
  }
  return plan;
}

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
    for (let sequence = 0; sequence < Math.min(below, this.plan.packets) && out.length < limit; sequence++) if (!this.have[sequence]) out.push(sequence);
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
