import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import CodecParser, { type CodecFrame } from 'codec-parser';
import { parseMpegHeader } from '../../common/audio/mpeg-header.js';
import { MpegWalker, mpegFrameStarts, scanMpeg, type MpegScan } from '../../common/audio/mpeg-frames.js';
import { id3v2Length, skipId3v2Tags } from '../../common/audio/id3.js';
import { FIXTURE_SONGS, makeFixtureLibrary } from '../helpers/fixtures.js';

describe('parseMpegHeader', () => {
  const table: Array<[string, number[], Partial<ReturnType<typeof parseMpegHeader>> | undefined]> = [
    [
      'MPEG-1 layer III 128 kbps 44.1 kHz',
      [0xff, 0xfb, 0x90, 0x64],
      { version: 1, layer: 3, bitrateKbps: 128, sampleRate: 44100, frameBytes: 417, samples: 1152, channels: 2 },
    ],
    ['same with padding', [0xff, 0xfb, 0x92, 0x64], { frameBytes: 418, padding: true }],
    [
      'MPEG-1 layer III 320 kbps 48 kHz mono',
      [0xff, 0xfb, 0xe4, 0xc4],
      { sampleRate: 48000, bitrateKbps: 320, frameBytes: 960, channels: 1 },
    ],
    [
      'MPEG-2 layer III 64 kbps 22.05 kHz',
      [0xff, 0xf3, 0x80, 0xc4],
      { version: 2, sampleRate: 22050, bitrateKbps: 64, samples: 576, frameBytes: 208 },
    ],
    [
      'MPEG-2.5 layer III 8 kbps 8 kHz',
      [0xff, 0xe3, 0x18, 0xc4],
      { version: 25, sampleRate: 8000, bitrateKbps: 8, samples: 576, frameBytes: 72 },
    ],
    [
      'MPEG-1 layer II 192 kbps 48 kHz',
      [0xff, 0xfd, 0xa4, 0x00],
      { layer: 2, samples: 1152, frameBytes: 576, crc: false },
    ],
    [
      'MPEG-1 layer I 32 kbps 32 kHz, CRC',
      [0xff, 0xfe, 0x18, 0x00],
      { layer: 1, samples: 384, frameBytes: 48, crc: true },
    ],
    ['no sync', [0xfe, 0xfb, 0x90, 0x64], undefined],
    ['reserved version', [0xff, 0xeb, 0x90, 0x64], undefined],
    ['reserved layer', [0xff, 0xf9, 0x90, 0x64], undefined],
    ['free-format bitrate', [0xff, 0xfb, 0x00, 0x64], undefined],
    ['bad bitrate', [0xff, 0xfb, 0xf0, 0x64], undefined],
    ['reserved sample rate', [0xff, 0xfb, 0x9c, 0x64], undefined],
    ['reserved emphasis', [0xff, 0xfb, 0x90, 0x66], undefined],
    ['cut off', [0xff, 0xfb, 0x90], undefined],
  ];
  for (const [name, bytes, expected] of table) {
    it(name, () => {
      const header = parseMpegHeader(Uint8Array.from(bytes), 0);
      if (expected === undefined) assert.equal(header, undefined);
      else assert.deepEqual({ ...header, ...expected }, header);
    });
  }
});

describe('ID3v2 tags', () => {
  it('measures a tag with and without footer, and stacked tags', () => {
    const tag = (size: number, flags = 0): Buffer =>
      Buffer.from([0x49, 0x44, 0x33, 3, 0, flags, 0, 0, 0, size, ...Array(size).fill(0)]);
    assert.equal(id3v2Length(tag(5)), 15);
    assert.equal(id3v2Length(Buffer.concat([tag(5, 0x10), Buffer.alloc(10)])), 25);
    assert.equal(skipId3v2Tags(Buffer.concat([tag(5), tag(3), Buffer.from([0xff])])), 28);
    assert.equal(id3v2Length(Buffer.from('ID3\x03\x00\x00\x80\x00\x00\x00', 'latin1')), 0, 'sizes are syncsafe');
  });
});

describe('scanMpeg against codec-parser', () => {
  const library = makeFixtureLibrary();
  after(() => library.cleanup());

  for (const song of FIXTURE_SONGS.filter((s) => s.format === 'mp3')) {
    it(`finds the same frames as codec-parser in ${song.file}`, () => {
      const buf = readFileSync(path.join(library.root, song.file));
      const scan = scanMpeg(buf);
      assert.ok(scan, 'stream found');
      // codec-parser reports offsets after the ID3v2 tag, and drops a last frame that is
      // followed by a tag; over exactly [tag end, audioEnd) it must see the same frames.
      const tagEnd = skipId3v2Tags(buf);
      const frames = [
        ...new CodecParser('audio/mpeg', { enableLogging: false }).parseAll(buf.subarray(tagEnd, scan.audioEnd)),
      ] as CodecFrame[];
      assert.equal(frames.length, scan.frames);
      assert.deepEqual(
        mpegFrameStarts(buf, scan),
        frames.map((frame) => tagEnd + frame.totalBytesOut),
        'every frame start, as codec-parser has them',
      );
      assert.equal(tagEnd + (frames[0]?.totalBytesOut ?? -1), scan.audioStart);
      const last = frames[frames.length - 1] as CodecFrame;
      assert.equal(tagEnd + last.totalBytesOut + last.data.length, scan.audioEnd);
      assert.equal(scan.header.sampleRate, song.sampleRate);
      assert.equal(scan.header.channels, song.channels);

      // codec-parser hands out a cut-off last frame too: only complete ones count.
      const whole = ([...new CodecParser('audio/mpeg', { enableLogging: false }).parseAll(buf)] as CodecFrame[]).filter(
        (frame) => frame.data.length === parseMpegHeader(frame.data, 0)?.frameBytes,
      );
      assert.ok(whole.length <= scan.frames, 'no complete frame is left out');
    });

    it(`cuts ${song.file} into contiguous 30 s blocks on frame starts`, () => {
      const buf = readFileSync(path.join(library.root, song.file));
      const scan = scanMpeg(buf);
      assert.ok(scan);
      assert.equal(scan.blocks.length, song.blocks);
      assert.equal(scan.blocks[0]?.offset, scan.audioStart);
      let samples = 0;
      const starts = new Map<number, number>();
      for (let at = scan.audioStart, n = 0; at < scan.audioEnd; n++) {
        const header = parseMpegHeader(buf, at);
        assert.ok(header);
        starts.set(at, samples);
        if (!(n === 0 && scan.hasVbrInfo)) samples += header.samples;
        at += header.frameBytes;
      }
      scan.blocks.forEach((block, i) => {
        const next = scan.blocks[i + 1];
        assert.equal(block.index, i);
        assert.equal(block.offset + block.length, next ? next.offset : scan.audioEnd);
        const firstSample = starts.get(block.offset);
        assert.ok(firstSample !== undefined, 'a block starts on a frame');
        assert.ok(firstSample / song.sampleRate >= 30 * i && firstSample / song.sampleRate < 30 * (i + 1));
        assert.equal(block.start, 30 * i, 'start is the window');
        assert.ok(
          firstSample / song.sampleRate - block.start < 1152 / song.sampleRate,
          'the first frame starts within a frame of it',
        );
        assert.equal(block.end, next ? 30 * (i + 1) : scan.duration);
      });
      assert.ok(Math.abs((scan.blocks.at(-1)?.end ?? 0) - scan.duration) < 1e-9);
    });
  }

  it('knows the Xing frame of a VBR file and gives it no duration', () => {
    const buf = readFileSync(path.join(library.root, 'lame/vbr-xing.mp3'));
    const scan = scanMpeg(buf);
    assert.ok(scan?.hasVbrInfo);
    assert.ok(Math.abs(scan.duration - 75) < 0.1, `duration ${scan.duration}`);
  });

  it('finds nothing in bytes that are not MPEG audio', () => {
    assert.equal(scanMpeg(Buffer.from('hello world'.repeat(100))), undefined);
    assert.equal(scanMpeg(Buffer.alloc(0)), undefined);
    assert.equal(scanMpeg(Buffer.from([0xff, 0xfb, 0x90, 0x64])), undefined, 'a lone header with no frame body');
  });

  it('keeps junk between frames inside the block before it', () => {
    const buf = readFileSync(path.join(library.root, 'lamejs-cbr.mp3'));
    const clean = scanMpeg(buf);
    assert.ok(clean);
    let cut = clean.audioStart;
    for (let n = 0; n < 50; n++) cut += parseMpegHeader(buf, cut)?.frameBytes ?? 0;
    const junky = Buffer.concat([buf.subarray(0, cut), Buffer.from('JUNKJUNK'), buf.subarray(cut)]);
    const scan = scanMpeg(junky);
    assert.ok(scan);
    assert.equal(scan.frames, clean.frames);
    assert.equal(scan.audioEnd, clean.audioEnd + 8);
  });
});

describe('MpegWalker: the same walk in windows of a fixed size', () => {
  const library = makeFixtureLibrary();
  after(() => library.cleanup());

  /** Walks `buf` as the analysis walks a file: windows of `size` bytes from wherever the walker asks. */
  const walkInWindows = (buf: Buffer, size: number): MpegScan | undefined => {
    const walker = new MpegWalker(skipId3v2Tags(buf));
    let at: number | undefined = 0;
    while (at !== undefined) {
      const window = buf.subarray(at, at + size);
      const next = walker.walk(window, at, at + window.length >= buf.length);
      assert.ok(next === undefined || next > at, `progress from ${at}`);
      at = next;
    }
    return walker.finish();
  };

  const junky = (): Buffer => {
    const buf = readFileSync(path.join(library.root, 'lamejs-cbr.mp3'));
    const parts: Buffer[] = [];
    let at = 0;
    // Junk of every length from 1 to 40 bytes, some holding 0xff, between frames all along the file.
    for (let n = 1; at < buf.length; n++) {
      const length = parseMpegHeader(buf, at)?.frameBytes ?? buf.length - at;
      parts.push(buf.subarray(at, at + length), Buffer.alloc(n % 41, n % 3 === 0 ? 0xff : 0x20));
      at += length;
    }
    return Buffer.concat(parts);
  };

  const inputs = (): Array<[string, Buffer]> => [
    ...FIXTURE_SONGS.filter((s) => s.format === 'mp3').map((song): [string, Buffer] => [
      song.file,
      readFileSync(path.join(library.root, song.file)),
    ]),
    ['junk between every two frames', junky()],
    [
      'zeros after the frames',
      Buffer.concat([readFileSync(path.join(library.root, 'lamejs-cbr.mp3')), Buffer.alloc(300_000)]),
    ],
    ['no audio at all', Buffer.alloc(200_000)],
  ];
  for (const size of [8192, 10_007, 65_536, 1 << 20]) {
    it(`windows of ${size} bytes find exactly what one walk over the whole file finds`, () => {
      for (const [name, buf] of inputs()) {
        const whole = scanMpeg(buf);
        assert.equal(whole === undefined, name === 'no audio at all', `${name}: a stream found where there is one`);
        assert.deepEqual(walkInWindows(buf, size), whole, name);
      }
    });
  }
});
