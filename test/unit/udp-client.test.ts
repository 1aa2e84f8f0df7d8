import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { LossMeter, lossPercent } from '../../common/datagram/loss-meter.js';
import { parseStreamPlan } from '../../common/protocol/replies.js';
import { SongAssembly } from '../../tui/daemon-link/song-assembly.js';
import { seeded } from '../helpers/random.js';

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('loss meter', () => {
  it('counts received, lost, late and duplicate from sequence numbers', () => {
    const meter = new LossMeter(1000);
    const arrivals: Array<[number, number, string]> = [
      [10, 0, 'new'], // joined mid-stream: nothing before counts
      [11, 10, 'new'],
      [14, 20, 'new'], // 12 and 13 missing for now
      [12, 30, 'late'], // reordered, not lost
      [14, 40, 'duplicate'],
      [15, 50, 'new'],
    ];
    for (const [sequence, at, kind] of arrivals)
      assert.equal(meter.receive(sequence, at), kind, `sequence ${sequence}`);
    assert.deepEqual(meter.totals, { received: 5, lost: 0, late: 1, duplicate: 1 });
    assert.equal(meter.openGaps, 1);
    meter.advance(1019);
    assert.equal(meter.totals.lost, 0, 'a gap is not lost before the horizon');
    meter.advance(1020);
    assert.equal(meter.totals.lost, 1, '13 is lost after a second');
    assert.equal(meter.receive(13, 1100), 'late', 'too late: counted late as well');
    assert.equal(lossPercent({ received: 9, lost: 1, late: 0, duplicate: 0 }), 10);
  });

  it('keeps per-second counts for the last 60 seconds', () => {
    const meter = new LossMeter(500, 60);
    for (let second = 0; second < 70; second++) {
      // Each second: 10 datagrams sent, every 10th lost.
      for (let i = 0; i < 10; i++) if (i !== 9) meter.receive(second * 10 + i, second * 1000 + i * 100);
    }
    meter.advance(70_600);
    assert.equal(meter.seconds.length, 60);
    const recent = meter.recent(10);
    assert.equal(lossPercent(recent), 10);
  });

  it('is quiet once the seconds it keeps hold nothing, and not while a gap is pending', () => {
    const meter = new LossMeter(500, 5);
    assert.equal(meter.quiet, true, 'new: nothing to chart');
    meter.receive(1, 1000);
    meter.receive(3, 1100); // 2 is missing, not yet lost
    meter.advance(1200);
    assert.equal(meter.quiet, false);
    meter.advance(3000); // 2 is lost now; the second with the datagrams is kept
    assert.equal(meter.quiet, false);
    meter.advance(6999); // five seconds kept, the one with datagrams still among them
    assert.equal(meter.quiet, false);
    meter.advance(7000); // scrolled out
    assert.equal(meter.quiet, true);
    meter.receive(4, 7100);
    assert.equal(meter.quiet, false, 'a datagram: counted again');
  });

  it('matches a random loss share over a long run, and ends by counting open gaps', () => {
    const meter = new LossMeter(300);
    const random = seeded(3);
    let dropped = 0;
    for (let sequence = 0; sequence < 5000; sequence++) {
      if (sequence > 0 && random() < 0.1) dropped++;
      else meter.receive(sequence, sequence * 20);
    }
    meter.finish(5000 * 20);
    assert.equal(meter.totals.lost, dropped);
  });

  it('measures jitter from media time', () => {
    const steady = new LossMeter();
    const shaky = new LossMeter();
    for (let i = 0; i < 200; i++) {
      steady.receive(i, 1000 + i * 26, i * 26);
      shaky.receive(i, 1000 + i * 26 + (i % 2) * 20, i * 26);
    }
    assert.ok(steady.jitterMs < 0.01);
    assert.ok(shaky.jitterMs > 15 && shaky.jitterMs <= 20, String(shaky.jitterMs));
  });

  it('does not loop over a huge jump in sequence numbers', () => {
    const meter = new LossMeter();
    meter.receive(0, 0);
    assert.equal(meter.receive(4_000_000_000, 1), 'new');
    assert.equal(meter.openGaps, 0);
  });
});

describe('song assembly', () => {
  const song = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251));
  const blocks = [song.subarray(0, 4000), song.subarray(4000, 9000), song.subarray(9000)];
  const fields: Array<[string, string]> = [
    ['stream', '42'],
    ['packets', String(Math.ceil(10_000 / 1384))],
    ['packet_bytes', '1384'],
    ...blocks.map((bytes, i): [string, string] => [
      'stream_block',
      `${i} ${i * 30}.000 ${i * 30 + 30}.000 ${bytes.length} ${sha(bytes)}`,
    ]),
  ];
  const packet = (sequence: number): Buffer => song.subarray(sequence * 1384, (sequence + 1) * 1384);

  it('reads the stream answer, and refuses one that does not add up', () => {
    const plan = parseStreamPlan(fields);
    assert.equal(plan.packets, 8);
    assert.deepEqual(
      plan.blocks.map((b) => b.bytes),
      [4000, 5000, 1000],
    );
    assert.throws(
      () => parseStreamPlan(fields.map(([k, v]): [string, string] => [k, k === 'packets' ? '9' : v])),
      /add up/,
    );
    assert.throws(() => parseStreamPlan(fields.filter(([k]) => k !== 'stream')), /stream/);
  });

  it('hands out blocks in order as their packets come in any order, checked by hash', () => {
    const assembly = new SongAssembly(parseStreamPlan(fields));
    const order = [7, 3, 0, 1, 5, 6, 4, 2];
    const handed: number[] = [];
    for (const sequence of order) {
      assert.equal(assembly.add(sequence, packet(sequence)), 'new');
      handed.push(...assembly.takeBlocks().map((block) => block.header.index));
      if (sequence === 0) assert.deepEqual(assembly.missing(), [1, 2, 4, 5, 6]);
    }
    assert.deepEqual(handed, [0, 1, 2]);
    assert.equal(assembly.complete, true);
    assert.equal(assembly.add(3, packet(3)), 'duplicate');
    assert.equal(assembly.add(8, packet(0)), 'bad', 'past the last packet');
  });

  it('refuses a packet of the wrong size, and asks again for a block whose hash fails', () => {
    const assembly = new SongAssembly(parseStreamPlan(fields));
    assert.equal(assembly.add(7, Buffer.alloc(1384)), 'bad', 'the last packet is shorter');
    const corrupt = Buffer.from(packet(1));
    corrupt[0] = (corrupt[0] as number) ^ 1;
    assembly.add(0, packet(0));
    assembly.add(1, corrupt);
    assembly.add(2, packet(2));
    assert.deepEqual(assembly.takeBlocks(), []);
    assert.deepEqual(assembly.missing(3), [0, 1, 2], 'the bad block’s packets are wanted again');
    for (const sequence of [0, 1, 2]) assembly.add(sequence, packet(sequence));
    assert.deepEqual(
      assembly.takeBlocks().map((block) => block.bytes),
      [blocks[0]],
    );
  });
});
