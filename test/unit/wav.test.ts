import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWav, wavBlocks } from '../../common/audio/wav.js';

function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function fmt(
  opts: { tag?: number; channels?: number; rate?: number; bits?: number; extensible?: number } = {},
): Buffer {
  const channels = opts.channels ?? 2;
  const bits = opts.bits ?? 16;
  const rate = opts.rate ?? 44100;
  const body = Buffer.alloc(opts.extensible !== undefined ? 40 : 16);
  body.writeUInt16LE(opts.extensible !== undefined ? 0xfffe : (opts.tag ?? 1), 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(rate, 4);
  body.writeUInt32LE((rate * channels * bits) / 8, 8);
  body.writeUInt16LE((channels * bits) / 8, 12);
  body.writeUInt16LE(bits, 14);
  if (opts.extensible !== undefined) body.writeUInt16LE(opts.extensible, 24);
  return chunk('fmt ', body);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('parseWav', () => {
  it('reads a canonical file', () => {
    const file = riff(fmt(), chunk('data', Buffer.alloc(400)));
    const result = parseWav(file, file.length);
    assert.deepEqual(result, {
      ok: true,
      layout: {
        sampleRate: 44100,
        channels: 2,
        bits: 16,
        blockAlign: 4,
        dataOffset: 44,
        dataBytes: 400,
        claimedBytes: 400,
        duration: 100 / 44100,
      },
    });
  });

  it('skips other chunks, odd-sized ones padded', () => {
    const file = riff(
      chunk('LIST', Buffer.alloc(7)),
      fmt({ channels: 1, bits: 24, rate: 48000 }),
      chunk('data', Buffer.alloc(30)),
    );
    const result = parseWav(file, file.length);
    assert.ok(result.ok);
    assert.equal(result.layout.dataOffset, 12 + 16 + 24 + 8);
    assert.equal(result.layout.blockAlign, 3);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', () => {
    const file = riff(fmt({ extensible: 1 }), chunk('data', Buffer.alloc(8)));
    assert.ok(parseWav(file, file.length).ok);
  });

  it('serves whole sample frames of a cut-off file and says what was claimed', () => {
    const file = riff(fmt(), chunk('data', Buffer.alloc(400)));
    const cut = file.subarray(0, file.length - 101);
    const result = parseWav(cut, cut.length);
    assert.ok(result.ok);
    assert.equal(result.layout.dataBytes, 296);
    assert.equal(result.layout.claimedBytes, 400);
  });

  it('runs a streamed file (size 0xffffffff) to the end of the file', () => {
    const file = riff(fmt(), chunk('data', Buffer.alloc(40)));
    file.writeUInt32LE(0xffffffff, 40);
    const result = parseWav(file, file.length);
    assert.ok(result.ok);
    assert.equal(result.layout.dataBytes, 40);
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ['not RIFF', Buffer.from('RIFX0000WAVE'), /not a RIFF/],
    ['too short', Buffer.from('RIFF'), /not a RIFF/],
    ['float samples', riff(fmt({ tag: 3, bits: 32 }), chunk('data', Buffer.alloc(8))), /not integer PCM/],
    ['extensible float', riff(fmt({ extensible: 3 }), chunk('data', Buffer.alloc(8))), /not integer PCM/],
    ['12-bit', riff(fmt({ bits: 12 }), chunk('data', Buffer.alloc(8))), /unsupported PCM/],
    ['no data', riff(fmt()), /no data chunk/],
    ['no fmt', riff(chunk('data', Buffer.alloc(8))), /data chunk before fmt/],
    ['empty data', riff(fmt(), chunk('data', Buffer.alloc(0))), /no audio data/],
  ];
  for (const [name, file, reason] of bad) {
    it(`refuses ${name}`, () => {
      const result = parseWav(file, file.length);
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
    });
  }
});

describe('wavBlocks', () => {
  it('cuts 30 s of whole frames per block, the last shorter', () => {
    const layout = {
      sampleRate: 100,
      channels: 2,
      bits: 16,
      blockAlign: 4,
      dataOffset: 44,
      dataBytes: 100 * 4 * 70,
      claimedBytes: 0,
      duration: 70,
    };
    assert.deepEqual(wavBlocks(layout), [
      { index: 0, offset: 44, length: 12000, start: 0, end: 30 },
      { index: 1, offset: 12044, length: 12000, start: 30, end: 60 },
      { index: 2, offset: 24044, length: 4000, start: 60, end: 70 },
    ]);
  });
});
