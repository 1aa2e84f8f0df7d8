import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MatroskaWriter } from '../../common/audio/matroska-writer.js';
import { mp4Blocks, mp4DecoderHeader, parseMp4DecoderHeader, type Mp4Audio } from '../../common/audio/mp4.js';

/** An AAC song of `count` access units of 1024 samples (the last `last`), each `size` bytes, 2112 of priming. */
function aac(count: number, last = 1024): Mp4Audio {
  const durations = Array.from({ length: count }, (_, i) => (i === count - 1 ? last : 1024));
  return {
    codec: 'aac',
    sampleRate: 48000,
    channels: 2,
    config: Buffer.from([0x11, 0x90]),
    durations,
    sizes: durations.map((_, i) => 300 + (i % 7)),
    dataStart: 1000,
    delay: 2112,
    totalSamples: durations.reduce((sum, d) => sum + d, 0) - 2112 - 500,
    tags: { freeform: {} },
  };
}

describe('MP4 blocks and decoder header', () => {
  it('cut a block at the first sample whose sound, less the priming, starts at or after 30k s', () => {
    const audio = aac(3000); // 64 s of 1024-sample units at 48 kHz
    const blocks = mp4Blocks(audio, 30);
    // 30 s is 1,440,000 samples: with 2112 of priming, unit 1409 is the first at or after it (1,442,816 - 2112);
    // 60 s: unit 2815 (2,882,560 - 2112).
    assert.deepEqual(
      blocks.map((b) => [b.index, b.firstSample, b.start]),
      [
        [0, 0, 0],
        [1, 1409, 30],
        [2, 2815, 60],
      ],
    );
    assert.equal(blocks[0]?.offset, 1000);
    const total = audio.sizes.reduce((sum, size) => sum + size, 0);
    assert.equal(
      blocks.reduce((sum, b) => sum + b.length, 0),
      total,
      'every byte of the samples, once',
    );
    assert.equal(blocks[2]?.end, audio.totalSamples / 48000);
  });

  it('are read back as written: codec, sizes, lengths (as runs), each block start', () => {
    const audio = aac(3000, 512);
    const blocks = mp4Blocks(audio, 30);
    const header = mp4DecoderHeader(audio, blocks);
    assert.ok(header.length < 3000 * 4 + 100, '4 bytes a sample, the lengths as runs');
    const read = parseMp4DecoderHeader(header);
    assert.ok(read);
    assert.deepEqual([read.codec, read.channels, read.sampleRate, read.delay], ['aac', 2, 48000, 2112]);
    assert.equal(read.totalSamples, audio.totalSamples);
    assert.deepEqual([...read.config], [0x11, 0x90]);
    assert.deepEqual([...read.sizes], audio.sizes);
    assert.deepEqual([...read.durations], audio.durations);
    assert.deepEqual(read.blocks[1], { firstSample: 1409, time: 1409 * 1024 });
  });

  it('refuse a header cut short or of another kind', () => {
    const header = mp4DecoderHeader(aac(10), mp4Blocks(aac(10)));
    assert.equal(parseMp4DecoderHeader(header.subarray(0, header.length - 1)), undefined);
    assert.equal(parseMp4DecoderHeader(Buffer.from('fLaC')), undefined);
  });
});

describe('MatroskaWriter', () => {
  it('writes the EBML header, one track with its codec and configuration, and frames in clusters', () => {
    const writer = new MatroskaWriter({
      codecId: 'A_AAC',
      codecPrivate: Buffer.from([0x12, 0x10]),
      sampleRate: 44100,
      channels: 2,
    });
    const head = writer.head();
    assert.deepEqual([...head.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3]);
    assert.ok(head.includes(Buffer.from('A_AAC')) && head.includes(Buffer.from([0x63, 0xa2])));
    const first = writer.frame(Buffer.from('abc'), 1024);
    assert.deepEqual([...first.subarray(0, 4)], [0x1f, 0x43, 0xb6, 0x75], 'a cluster first');
    // SimpleBlock's body: track 1, time 0 from the cluster, keyframe, the frame.
    assert.deepEqual([...first.subarray(-7)], [0x81, 0, 0, 0x80, 0x61, 0x62, 0x63]);
    const second = writer.frame(Buffer.from('d'), 1024);
    assert.equal(second[0], 0xa3, 'the same cluster');
    assert.equal(second.readInt16BE(10), Math.floor((1024 * 1000) / 44100), 'its time in ms from the cluster');
    // Frame 862 is the first at 20 s or later (862 x 1024 / 44.1 = 20,015 ms): it opens a new cluster.
    const opened: number[] = [];
    for (let i = 2; i < 900; i++) if (writer.frame(Buffer.from('e'), 1024)[0] === 0x1f) opened.push(i);
    assert.deepEqual(opened, [862]);
  });
});
