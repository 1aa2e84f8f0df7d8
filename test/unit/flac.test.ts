import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findFlacFrame,
  flacBlockFirstSample,
  parseFlacFrameHeader,
  readFlacHead,
  withoutLengthAndMd5,
  type FlacStreamInfo,
} from '../../common/audio/flac.js';

/** CRC-8, polynomial 0x07, bit by bit: written apart from the table the code uses. */
function crc8(bytes: number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** A number as FLAC's frame header codes it (UTF-8's scheme, up to 36 bits). */
function utf8Number(value: number): number[] {
  if (value < 0x80) return [value];
  const bytes: number[] = [];
  let rest = value;
  let room = 0x3f; // what the lead byte can hold shrinks as continuation bytes are added
  while (rest > room >> 1) {
    bytes.unshift(0x80 | (rest % 64));
    rest = Math.floor(rest / 64);
    room >>= 1;
  }
  const lead = (0xff << (7 - bytes.length)) & 0xff;
  return [lead | rest, ...bytes];
}

interface HeaderSpec {
  variable?: boolean;
  sizeCode?: number;
  rateCode?: number;
  channelCode?: number;
  bitsCode?: number;
  number?: number;
  extra?: number[];
  reserved?: boolean;
  badCrc?: boolean;
}

function frameHeader(spec: HeaderSpec = {}): Buffer {
  const bytes = [
    0xff,
    0xf8 | (spec.variable ? 1 : 0),
    ((spec.sizeCode ?? 12) << 4) | (spec.rateCode ?? 9),
    ((spec.channelCode ?? 1) << 4) | ((spec.bitsCode ?? 4) << 1) | (spec.reserved ? 1 : 0),
    ...utf8Number(spec.number ?? 0),
    ...(spec.extra ?? []),
  ];
  bytes.push(crc8(bytes) ^ (spec.badCrc ? 1 : 0));
  return Buffer.from([...bytes, 0, 0, 0, 0, 0, 0, 0, 0]);
}

const CD: FlacStreamInfo = {
  minBlockSize: 4096,
  maxBlockSize: 4096,
  sampleRate: 44100,
  channels: 2,
  bits: 16,
  totalSamples: 10_000_000,
};

describe('FLAC frame headers', () => {
  const cases: Array<[string, HeaderSpec, FlacStreamInfo, { sample: number; blockSize: number } | undefined]> = [
    ['fixed 4096, frame 5', { number: 5 }, CD, { sample: 20480, blockSize: 4096 }],
    ['fixed, frame 2000 (two bytes)', { number: 2000 }, CD, { sample: 8_192_000, blockSize: 4096 }],
    [
      'block size in 8 bits after the number',
      { sizeCode: 6, number: 1, extra: [191] },
      CD,
      { sample: 4096, blockSize: 192 },
    ],
    ['block size in 16 bits', { sizeCode: 7, number: 0, extra: [0x0f, 0xff] }, CD, { sample: 0, blockSize: 4096 }],
    [
      'variable: a sample number past 2^32 (six continuation bytes)',
      { variable: true, sizeCode: 7, number: 2 ** 33 + 5, extra: [0x03, 0xff] },
      { ...CD, totalSamples: 0 },
      { sample: 2 ** 33 + 5, blockSize: 1024 },
    ],
    [
      'rate in Hz after the size',
      { rateCode: 13, number: 1, extra: [0xac, 0x44] },
      CD,
      { sample: 4096, blockSize: 4096 },
    ],
    [
      'rate and bits "from STREAMINFO"',
      { rateCode: 0, bitsCode: 0, number: 3 },
      CD,
      { sample: 12288, blockSize: 4096 },
    ],
    ['mid/side stereo', { channelCode: 10, number: 1 }, CD, { sample: 4096, blockSize: 4096 }],
    ['a wrong CRC', { number: 5, badCrc: true }, CD, undefined],
    ['the reserved bit set', { number: 5, reserved: true }, CD, undefined],
    ['another channel count', { channelCode: 0, number: 5 }, CD, undefined],
    ['another sample size (24 bits)', { bitsCode: 6, number: 5 }, CD, undefined],
    ['another rate (48 kHz)', { rateCode: 10, number: 5 }, CD, undefined],
    ['a reserved channel code', { channelCode: 11, number: 5 }, CD, undefined],
    ['block size code 0 (reserved)', { sizeCode: 0 }, CD, undefined],
    ['a block larger than STREAMINFO allows', { sizeCode: 13 }, CD, undefined],
    ["past the stream's last sample", { number: 3000 }, CD, undefined],
  ];
  for (const [name, spec, info, expected] of cases) {
    it(name, () => {
      const frame = parseFlacFrameHeader(frameHeader(spec), 0, info);
      assert.deepEqual(frame && { sample: frame.sample, blockSize: frame.blockSize }, expected);
    });
  }

  it('a sync inside the data whose header reads well is not a frame when the next frame is not where it says', () => {
    // A false header claims frame 7, then the real frames 1 and 2 follow.
    const bytes = Buffer.concat([
      frameHeader({ number: 7 }),
      Buffer.alloc(40, 0x11),
      frameHeader({ number: 1 }),
      Buffer.alloc(40, 0x22),
      frameHeader({ number: 2 }),
    ]);
    const found = findFlacFrame(bytes, 1000, 1000, 1000 + bytes.length + 100, CD);
    assert.ok('sample' in found, 'a frame found');
    assert.equal(found.sample, 4096);
    assert.equal(found.offset, 1000 + frameHeader().length + 40);
  });

  it('says it cannot tell yet when the frame after a header lies past the bytes it has', () => {
    const bytes = Buffer.concat([frameHeader({ number: 1 }), Buffer.alloc(200, 0x11)]);
    assert.deepEqual(findFlacFrame(bytes, 0, 0, 10_000, CD), { undecided: 0 });
  });
});

describe('FLAC metadata', () => {
  const streamInfo = (): Buffer => {
    const body = Buffer.alloc(34);
    body.writeUInt16BE(4096, 0);
    body.writeUInt16BE(4096, 2);
    // 44100 Hz (20 bits), 2 channels (3 bits: 1), 16 bits (5 bits: 15), 1,000,000 samples (36 bits).
    body[10] = 44100 >> 12;
    body[11] = (44100 >> 4) & 0xff;
    body[12] = ((44100 & 0x0f) << 4) | (1 << 1) | (15 >> 4);
    body[13] = ((15 & 0x0f) << 4) | 0;
    body.writeUInt32BE(1_000_000, 14);
    return body;
  };
  const block = (type: number, body: Buffer, last = false): Buffer =>
    Buffer.concat([
      Buffer.from([(last ? 0x80 : 0) | type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]),
      body,
    ]);
  const readerOf = (file: Buffer) => async (position: number, length: number) =>
    file.subarray(position, position + length);

  it('reads STREAMINFO, steps over the other blocks, and makes the 42-byte decoder header', async () => {
    const comments = Buffer.from('\x03\x00\x00\x00abc\x00\x00\x00\x00', 'latin1');
    const file = Buffer.concat([
      Buffer.from('fLaC'),
      block(0, streamInfo()),
      block(6, Buffer.alloc(100_000)),
      block(4, comments),
      block(1, Buffer.alloc(10), true),
      frameHeader(),
    ]);
    const head = await readFlacHead(readerOf(file), 0, file.length);
    assert.ok(head.ok);
    assert.deepEqual(head.layout.info, {
      minBlockSize: 4096,
      maxBlockSize: 4096,
      sampleRate: 44100,
      channels: 2,
      bits: 16,
      totalSamples: 1_000_000,
    });
    assert.equal(head.layout.audioStart, file.length - frameHeader().length);
    assert.deepEqual(head.comments, comments);
    assert.equal(head.layout.decoderHeader.length, 42);
    assert.equal(head.layout.decoderHeader[4], 0x80, 'STREAMINFO marked the last block');
    assert.equal(flacBlockFirstSample(head.layout.decoderHeader, frameHeader({ number: 9 })), 9 * 4096);
  });

  const broken: Array<[string, Buffer, RegExp]> = [
    ['no marker', Buffer.from('RIFF....WAVEfmt '), /no fLaC marker/],
    [
      'another block first',
      Buffer.concat([Buffer.from('fLaC'), block(1, Buffer.alloc(4), true)]),
      /no STREAMINFO first/,
    ],
    [
      'a block longer than the file',
      Buffer.concat([Buffer.from('fLaC'), block(0, streamInfo()), Buffer.from([0x86, 0x10, 0, 0])]),
      /cut off/,
    ],
    ['the file ends inside the metadata', Buffer.concat([Buffer.from('fLaC'), block(0, streamInfo())]), /cut off/],
  ];
  for (const [name, file, reason] of broken) {
    it(`refuses ${name}`, async () => {
      const head = await readFlacHead(readerOf(file), 0, file.length);
      assert.ok(!head.ok);
      assert.match(head.reason, reason);
    });
  }
});

describe('a decoder header without the length and MD5 of the audio', () => {
  const md5 = Buffer.alloc(16, 0xab);
  const header = (marker: string, blockType: number, length = 42): Buffer => {
    const bytes = Buffer.alloc(length, 0xff);
    bytes.write(marker, 0, 'latin1');
    bytes[4] = 0x80 | blockType;
    if (length >= 42) md5.copy(bytes, 26);
    return bytes;
  };
  const cases: Array<[string, Buffer, (out: Buffer, given: Buffer) => void]> = [
    [
      'zeroes the total of samples and the MD5 of STREAMINFO, and keeps every other bit',
      header('fLaC', 0),
      (out, given) => {
        assert.deepEqual(out.subarray(26, 42), Buffer.alloc(16));
        assert.deepEqual(out.subarray(22, 26), Buffer.alloc(4));
        assert.equal(out[21], 0xf0, "the sample size's last bits stay");
        assert.deepEqual(out.subarray(0, 21), given.subarray(0, 21));
      },
    ],
    ['leaves a header that is not FLAC as it is', header('OggS', 0), (out, given) => assert.deepEqual(out, given)],
    ['leaves a first block that is not STREAMINFO', header('fLaC', 4), (out, given) => assert.deepEqual(out, given)],
    ['leaves a header cut short', header('fLaC', 0, 30), (out, given) => assert.deepEqual(out, given)],
  ];
  for (const [name, given, check] of cases)
    it(name, () => {
      const before = Buffer.from(given);
      check(withoutLengthAndMd5(given), given);
      assert.deepEqual(given, before, 'the header given is not changed');
    });

  it('reads back as the same stream of unknown length', async () => {
    const file = Buffer.concat([header('fLaC', 0), frameHeader()]);
    // A STREAMINFO that reads: 4096-sample blocks, 44.1 kHz, 2 channels, 16 bits, 1,000,000 samples.
    file.set([0, 0, 34], 5);
    file.writeUInt16BE(4096, 8);
    file.writeUInt16BE(4096, 10);
    file.set([44100 >> 12, (44100 >> 4) & 0xff, ((44100 & 0x0f) << 4) | (1 << 1) | 0, 15 << 4], 18);
    file.writeUInt32BE(1_000_000, 22);
    const read = (bytes: Buffer) => async (at: number, length: number) => bytes.subarray(at, at + length);
    const given = await readFlacHead(read(file), 0, file.length);
    const stripped = withoutLengthAndMd5(file);
    const after = await readFlacHead(read(stripped), 0, stripped.length);
    assert.ok(given.ok && after.ok);
    assert.equal(given.layout.info.totalSamples, 1_000_000);
    assert.deepEqual(after.layout.info, { ...given.layout.info, totalSamples: 0 });
  });
});
