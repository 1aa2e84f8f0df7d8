import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  oggBlockFirstSample,
  oggHeaderPages,
  opusPacketSamples,
  parseIdentification,
  parseOggPage,
  readOggDecoderHeader,
  scanOgg,
  vorbisModeFlags,
  vorbisPacketBlockSize,
  writeOggPage,
  type ReadAt,
} from '../../common/audio/ogg.js';

const SERIAL = 0x1234;

function opusHead(preSkip = 312, channels = 2): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = channels;
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(44100, 12);
  return head;
}

function vorbisIdent(rate = 44100, sizes = 0xb8): Buffer {
  const ident = Buffer.alloc(30);
  ident[0] = 1;
  ident.write('vorbis', 1, 'latin1');
  ident[11] = 2;
  ident.writeUInt32LE(rate, 12);
  ident[28] = sizes; // 2^8 = 256 short, 2^11 = 2048 long
  ident[29] = 1;
  return ident;
}

/** Bits written least significant first, as Vorbis packs them. */
class BitWriter {
  private readonly bits: number[] = [];
  write(value: number, count: number): this {
    for (let k = 0; k < count; k++) this.bits.push(Math.floor(value / 2 ** k) % 2);
    return this;
  }
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((bit, i) => (out[i >> 3] = (out[i >> 3] as number) | (bit << (i & 7))));
    return out;
  }
}

/** A setup header's tail: `junk` bits standing for codebooks and the rest, then the modes and the framing bit. */
function setupWithModes(flags: number[], junk = 0b1011_0110_1110_0101): Buffer {
  const bits = new BitWriter().write(junk, 16).write(flags.length - 1, 6);
  for (const flag of flags)
    bits
      .write(flag, 1)
      .write(0, 16)
      .write(0, 16)
      .write(flags.indexOf(flag) % 2, 8);
  return Buffer.concat([Buffer.from('\x05vorbis', 'latin1'), bits.write(1, 1).bytes()]);
}

const opusPacket = (config: number, code = 0, count = 1): Buffer => Buffer.from([(config << 3) | code, count, 0, 0]);

describe('Ogg pages', () => {
  it('are written and read back: flags, granule, serial, sequence, packets, CRC', () => {
    const long = Buffer.alloc(600, 3);
    const page = writeOggPage(
      [
        { data: Buffer.from('abc'), ends: true },
        { data: long, ends: true },
        { data: Buffer.alloc(510, 4), ends: false },
      ],
      { serial: SERIAL, sequence: 7, granule: 2 ** 33 + 5, continued: true },
    );
    const read = parseOggPage(page, 0, 1000);
    assert.ok(read && read !== 'short');
    assert.deepEqual(
      { ...read, packets: read.packets },
      {
        offset: 1000,
        bytes: page.length,
        continued: true,
        first: false,
        last: false,
        granule: 2 ** 33 + 5,
        serial: SERIAL,
        sequence: 7,
        packets: [
          { length: 3, ends: true },
          { length: 600, ends: true },
          { length: 510, ends: false },
        ],
        bodyStart: 27 + 1 + 3 + 2,
      },
    );
  });

  it('refuses a changed byte (CRC), another capture pattern or version; says short when cut', () => {
    const page = writeOggPage([{ data: Buffer.from('hello'), ends: true }], { serial: 1, sequence: 0, granule: 0 });
    const changed = Buffer.from(page);
    changed[page.length - 1] = (changed[page.length - 1] as number) ^ 1;
    assert.equal(parseOggPage(changed, 0), undefined);
    assert.equal(parseOggPage(Buffer.concat([Buffer.from('x'), page]), 0), undefined);
    const version = Buffer.from(page);
    version[4] = 1;
    assert.equal(parseOggPage(version, 0), undefined);
    assert.equal(parseOggPage(page.subarray(0, 20), 0), 'short');
    assert.equal(parseOggPage(page.subarray(0, page.length - 1), 0), 'short');
  });

  it('reads a granule of -1 as none', () => {
    const page = writeOggPage([{ data: Buffer.alloc(510), ends: false }], {
      serial: 1,
      sequence: 0,
      granule: undefined,
    });
    const read = parseOggPage(Buffer.concat([page]), 0);
    assert.ok(read && read !== 'short');
    assert.equal(read.granule, undefined);
  });
});

describe('identification headers', () => {
  it('Opus: channels, 48 kHz, pre-skip, output gain; Vorbis: channels, rate, block sizes', () => {
    const head = opusHead(3840, 1);
    head.writeInt16LE(-512, 16);
    assert.deepEqual(parseIdentification(head), {
      codec: 'opus',
      channels: 1,
      sampleRate: 48000,
      preSkip: 3840,
      outputGain: -2,
      blockSizes: [0, 0],
      headerPackets: 2,
    });
    assert.deepEqual(parseIdentification(vorbisIdent(32000)), {
      codec: 'vorbis',
      channels: 2,
      sampleRate: 32000,
      preSkip: 0,
      outputGain: 0,
      blockSizes: [256, 2048],
      headerPackets: 3,
    });
  });

  it('refuse another codec, an Opus major version they do not know, impossible block sizes', () => {
    assert.equal(parseIdentification(Buffer.from('\x7fFLAC\x01\x00\x00\x01fLaC')), undefined);
    const v2 = opusHead();
    v2[8] = 0x10;
    assert.equal(parseIdentification(v2), undefined);
    assert.equal(parseIdentification(vorbisIdent(44100, 0x8b)), undefined); // long shorter than short
  });
});

describe('samples of a packet', () => {
  const table: Array<[string, Buffer, number]> = [
    ['SILK 10 ms', opusPacket(0), 480],
    ['SILK 60 ms', opusPacket(3), 2880],
    ['hybrid 10 ms', opusPacket(12), 480],
    ['hybrid 20 ms', opusPacket(15), 960],
    ['CELT 2.5 ms', opusPacket(16), 120],
    ['CELT 20 ms', opusPacket(31), 960],
    ['two frames (code 1)', opusPacket(31, 1), 1920],
    ['two frames (code 2)', opusPacket(1, 2), 1920],
    ['five frames (code 3)', opusPacket(16, 3, 5), 600],
    ['an empty packet', Buffer.alloc(0), 0],
  ];
  for (const [name, packet, samples] of table)
    it(`Opus ${name}: ${samples}`, () => assert.equal(opusPacketSamples(packet), samples));

  it('Vorbis: the modes read from the end of the setup header, and a packet block size from its mode', () => {
    assert.deepEqual(vorbisModeFlags(setupWithModes([0, 1])), [0, 1]);
    assert.deepEqual(vorbisModeFlags(setupWithModes([1])), [1]);
    assert.deepEqual(vorbisModeFlags(setupWithModes([0, 1, 1, 0])), [0, 1, 1, 0]);
    assert.equal(vorbisModeFlags(Buffer.alloc(40)), undefined);
    const sizes: [number, number] = [256, 2048];
    assert.equal(vorbisPacketBlockSize(Buffer.from([0b10]), [0, 1], sizes), 2048); // mode 1
    assert.equal(vorbisPacketBlockSize(Buffer.from([0b00]), [0, 1], sizes), 256);
    assert.equal(vorbisPacketBlockSize(Buffer.from([0b100]), [0, 1, 1, 0], sizes), 2048); // mode 2 of 4
    assert.equal(vorbisPacketBlockSize(Buffer.from([0b1]), [0, 1], sizes), 0); // a header, not audio
  });
});

describe('decoder header pages', () => {
  it('keep identification and setup (a setup longer than a page goes on to the next), the tags left out', () => {
    const setup = Buffer.concat([Buffer.alloc(70_000, 9), setupWithModes([0, 1])]);
    const comments = Buffer.concat([Buffer.from('\x03vorbis', 'latin1'), Buffer.alloc(100_000, 1)]);
    const pages = oggHeaderPages([vorbisIdent(), comments, setup], SERIAL);
    assert.ok(pages.length < setup.length + 1000, 'the comments are not in it');
    const read = readOggDecoderHeader(pages);
    assert.equal(read?.identification.codec, 'vorbis');
    assert.deepEqual(read?.modeFlags, [0, 1]);
    const first = parseOggPage(pages, 0);
    assert.ok(first && first !== 'short' && first.first && first.sequence === 0);
  });

  it('Opus: the head and an empty tags packet', () => {
    const pages = oggHeaderPages([opusHead(), Buffer.from('OpusTags\x00\x00\x00\x00\x00\x00\x00\x00')], SERIAL);
    assert.equal(readOggDecoderHeader(pages)?.identification.preSkip, 312);
  });
});

/** An Opus stream: head, tags, then `pages` pages of `perPage` 20 ms packets each. */
function opusStream(pages: number, perPage: number, after: Buffer = Buffer.alloc(0)): Buffer {
  const out = [
    writeOggPage([{ data: opusHead(), ends: true }], { serial: SERIAL, sequence: 0, granule: 0, first: true }),
    writeOggPage([{ data: Buffer.from('OpusTags\x00\x00\x00\x00\x00\x00\x00\x00'), ends: true }], {
      serial: SERIAL,
      sequence: 1,
      granule: 0,
    }),
  ];
  for (let n = 0; n < pages; n++) {
    const packets = Array.from({ length: perPage }, () => ({ data: opusPacket(31), ends: true }));
    const granule = (n + 1) * perPage * 960;
    out.push(writeOggPage(packets, { serial: SERIAL, sequence: n + 2, granule, last: n === pages - 1 }));
  }
  return Buffer.concat([...out, after]);
}

const reader =
  (bytes: Buffer): ReadAt =>
  async (position, length) =>
    bytes.subarray(position, position + length);

describe('scanOgg', () => {
  it('cuts 30 s blocks where a page begins a fresh packet, from the granule of the page before', async () => {
    // 100 pages of 1 s (50 packets of 20 ms): 100 s less the pre-skip.
    const stream = opusStream(100, 50);
    const scan = await scanOgg(reader(stream), stream.length);
    assert.equal(scan.identification.codec, 'opus');
    assert.equal(scan.totalSamples, 100 * 48000 - 312);
    assert.deepEqual(
      scan.blocks.map((b) => [b.index, b.start, b.end]),
      [
        [0, 0, 30],
        [1, 30, 60],
        [2, 60, 90],
        [3, 90, (100 * 48000 - 312) / 48000],
      ],
    );
    // Page 31 starts at 30 s of granule, 30 s less the pre-skip of sound: the block starts a page later.
    const second = scan.blocks[1] as { offset: number; length: number };
    const first = oggBlockFirstSample(
      oggHeaderPages(scan.headerPackets, SERIAL),
      stream.subarray(second.offset, second.offset + second.length),
    );
    assert.equal(first, 31 * 48000);
    const joined = scan.blocks.reduce((sum, b) => sum + b.length, 0);
    assert.equal(scan.audioStart + joined, stream.length);
  });

  it('serves the first of chained streams and says so; says bytes after the end; refuses what is not Ogg', async () => {
    const one = opusStream(5, 50);
    const chained = Buffer.concat([one, one]);
    const scan = await scanOgg(reader(chained), chained.length);
    assert.match(scan.stoppedEarly ?? '', /chained/);
    assert.equal(scan.audioEnd, one.length);
    const trailing = Buffer.concat([one, Buffer.alloc(100, 1)]);
    assert.match((await scanOgg(reader(trailing), trailing.length)).stoppedEarly ?? '', /100 bytes after/);
    const junk = Buffer.alloc(5000, 7);
    await assert.rejects(scanOgg(reader(junk), junk.length), /not an Ogg stream/);
  });

  it('stops after the headers when asked', async () => {
    const stream = opusStream(100, 50);
    const reads: number[] = [];
    const scan = await scanOgg(
      async (position, length) => {
        reads.push(position);
        return stream.subarray(position, position + length);
      },
      stream.length,
      { headersOnly: true },
    );
    assert.equal(scan.headerPackets.length, 2);
    assert.equal(reads.length, 1);
  });
});
