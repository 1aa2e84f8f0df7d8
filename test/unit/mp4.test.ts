import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MatroskaWriter } from '../../common/audio/matroska-writer.js';
import {
  mp4Blocks,
  mp4DecoderHeader,
  parseMp4DecoderHeader,
  readMp4Audio,
  type Mp4Audio,
  type ReadAt,
} from '../../common/audio/mp4.js';

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

/** A box: size, type, body. */
const box = (type: string, ...body: Buffer[]): Buffer => {
  const content = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + content.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, content]);
};
const u32 = (...values: number[]): Buffer => {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, 4 * i));
  return out;
};
/** A full box's version and flags. */
const full = (version = 0): Buffer => u32(version << 24);

interface Made {
  units: number;
  unitBytes: number;
  smpb?: string;
  /** Edit list: media time and segment duration (in the 1000 movie timescale). */
  edit?: [mediaTime: number, segment: number];
  /** Overrides of the sample table's counts: what a crafted file says. */
  sttsRun?: number;
  stszFixedCount?: number;
  stcoCount?: number;
  /** Offsets of a second chunk that does not follow the first (another track's data between). */
  interleaved?: boolean;
  /** The moov after the mdat, as ffmpeg writes it (without faststart). */
  moovLast?: boolean;
  /** A free box of this many bytes after the ftyp (a tagger's padding). */
  padding?: number;
}

/** An M4A of AAC-LC, 44.1 kHz stereo, `units` access units of 1024 samples in one chunk, then mdat. */
function m4a(made: Made): Buffer {
  const rate = 44100;
  const asc = Buffer.from([0x12, 0x10]); // object type 2, rate index 4, 2 channels
  const esds = box(
    'esds',
    full(),
    Buffer.from([0x03, 0x19, 0, 1, 0, 0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x02]),
    asc,
    Buffer.from([0x06, 0x01, 0x02]),
  );
  const entry = Buffer.concat([
    Buffer.alloc(6),
    Buffer.from([0, 1]),
    Buffer.alloc(8),
    Buffer.from([0, 2, 0, 16]),
    Buffer.alloc(4),
    u32(rate << 16),
  ]);
  const stsd = box('stsd', full(), u32(1), box('mp4a', entry, esds));
  const stts = box('stts', full(), u32(1, made.sttsRun ?? made.units, 1024));
  const stsz = made.stszFixedCount
    ? box('stsz', full(), u32(made.unitBytes, made.stszFixedCount))
    : box('stsz', full(), u32(0, made.units), u32(...Array.from({ length: made.units }, () => made.unitBytes)));
  const chunks = made.interleaved ? 2 : 1;
  const perChunk = made.units / chunks;
  const stsc = box('stsc', full(), u32(1, 1, perChunk, 1));
  const build = (dataStart: number): Buffer => {
    const offsets = made.interleaved ? [dataStart, dataStart + perChunk * made.unitBytes + 100] : [dataStart];
    const stco = box('stco', full(), u32(made.stcoCount ?? offsets.length, ...offsets));
    const stbl = box('stbl', stsd, stts, stsz, stsc, stco);
    const mdhd = box('mdhd', full(), u32(0, 0, rate, made.units * 1024), Buffer.alloc(4));
    const hdlr = box('hdlr', full(), u32(0), Buffer.from('soun', 'latin1'), Buffer.alloc(12), Buffer.from([0]));
    const mdia = box('mdia', mdhd, hdlr, box('minf', stbl));
    const edts = made.edit
      ? box('edts', box('elst', full(), u32(1, made.edit[1], made.edit[0], 0x10000)))
      : Buffer.alloc(0);
    const trak = box('trak', edts, mdia);
    const mvhd = box('mvhd', full(), u32(0, 0, 1000, 0), Buffer.alloc(80));
    const ilst = made.smpb
      ? box(
          'ilst',
          box(
            '----',
            box('mean', full(), Buffer.from('com.apple.iTunes')),
            box('name', full(), Buffer.from('iTunSMPB')),
            box('data', u32(1, 0), Buffer.from(made.smpb)),
          ),
        )
      : Buffer.alloc(0);
    const udta = made.smpb
      ? box('udta', box('meta', full(), box('hdlr', full(), u32(0), Buffer.from('mdirappl'), Buffer.alloc(9)), ilst))
      : Buffer.alloc(0);
    return box('moov', mvhd, trak, udta);
  };
  const ftyp = box('ftyp', Buffer.from('M4A '), u32(0), Buffer.from('M4A mp42isom'));
  const free = made.padding ? box('free', Buffer.alloc(made.padding - 8)) : Buffer.alloc(0);
  const mdat = box('mdat', Buffer.alloc(made.units * made.unitBytes + (made.interleaved ? 100 : 0), 0x21));
  if (made.moovLast) return Buffer.concat([ftyp, free, mdat, build(ftyp.length + free.length + 8)]);
  const dataStart = ftyp.length + free.length + build(0).length + 8;
  return Buffer.concat([ftyp, free, build(dataStart), mdat]);
}

const readerOf =
  (file: Buffer): ReadAt =>
  async (position, length) =>
    file.subarray(position, position + length);

describe('MP4 sample tables as a file states them', () => {
  it('take the encoder delay and the length from iTunSMPB', async () => {
    // 2112 of priming, 1492 of padding, 100 units of 1024: 98,796 samples of sound.
    const smpb = ' 00000000 00000840 000005D4 00000000000181EC 00000000 00000000';
    const file = m4a({ units: 100, unitBytes: 200, smpb });
    const audio = await readMp4Audio(readerOf(file), file.length);
    assert.deepEqual([audio.codec, audio.sampleRate, audio.channels], ['aac', 44100, 2]);
    assert.equal(audio.delay, 2112);
    assert.equal(audio.totalSamples, 98796);
    assert.equal(audio.durations.length, 100);
    assert.equal(audio.dataStart + 100 * 200, file.length, 'the samples run to the end of mdat');
  });

  it('else from the edit list: its media time is the delay, its segment the length', async () => {
    // 2112 samples of priming; the segment is 2.2 s of the movie's 1000 a second: 97,020 samples.
    const file = m4a({ units: 100, unitBytes: 200, edit: [2112, 2200] });
    const audio = await readMp4Audio(readerOf(file), file.length);
    assert.deepEqual([audio.delay, audio.totalSamples], [2112, 97020]);
  });

  it('with neither: no delay, every sample', async () => {
    const file = m4a({ units: 10, unitBytes: 50 });
    const audio = await readMp4Audio(readerOf(file), file.length);
    assert.deepEqual([audio.delay, audio.totalSamples], [0, 10240]);
  });

  const layouts: Array<[string, Made, number]> = [
    ['its moov first: one read', { units: 100, unitBytes: 200 }, 1],
    ["its moov after the samples (ffmpeg's layout): two reads", { units: 1000, unitBytes: 400, moovLast: true }, 2],
    ['a moov past padding larger than a read', { units: 100, unitBytes: 200, padding: 100_000 }, 2],
    ['a moov larger than a read', { units: 20_000, unitBytes: 10 }, 2],
  ];
  for (const [name, made, reads] of layouts)
    it(`are found with few reads: ${name}`, async () => {
      const file = m4a(made);
      const asked: Array<[number, number]> = [];
      const read: ReadAt = async (position, length) => {
        asked.push([position, length]);
        return file.subarray(position, position + length);
      };
      const audio = await readMp4Audio(read, file.length);
      assert.equal(audio.durations.length, made.units);
      assert.equal(file.readUInt32BE(audio.dataStart - 8), made.units * made.unitBytes + 8, 'the mdat found');
      assert.equal(asked.length, reads, JSON.stringify(asked));
    });

  const refused: Array<[string, Made, RegExp]> = [
    ['a stts run of four billion samples', { units: 10, unitBytes: 50, sttsRun: 0xffffffff }, /disagree/],
    [
      'a fixed sample size times a count larger than the file',
      { units: 10, unitBytes: 50, stszFixedCount: 0x7fffffff },
      /run past their box or the file/,
    ],
    [
      'more chunk offsets than their box holds',
      { units: 10, unitBytes: 50, stcoCount: 1_000_000 },
      /run past their box/,
    ],
    ['chunks with other data between them', { units: 10, unitBytes: 50, interleaved: true }, /not in one run/],
  ];
  for (const [name, made, reason] of refused) {
    it(`refuse ${name}, at once and saying why`, async () => {
      const file = m4a(made);
      const started = performance.now();
      await assert.rejects(readMp4Audio(readerOf(file), file.length), reason);
      assert.ok(performance.now() - started < 1000, 'nothing that large was made');
    });
  }
});
