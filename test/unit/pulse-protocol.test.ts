import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authPacket,
  commandPacket,
  PacketReader,
  readBufferAttrReply,
  readLatencyReply,
  readMessage,
  setBufferAttrPacket,
  volumeOfGain,
} from '../../tui/audio/pulse/protocol.js';
import { TagReader, TagWriter } from '../../tui/audio/pulse/tagstruct.js';

const hex = (buffer: Buffer): string => buffer.toString('hex');

describe('PulseAudio tagged structures', () => {
  const cases: Array<[string, (w: TagWriter) => TagWriter, string]> = [
    ['u32', (w) => w.u32(0x01020304), '4c01020304'],
    ['u8', (w) => w.u8(7), '4207'],
    ['true and false', (w) => w.bool(true).bool(false), '3130'],
    ['a string, NUL-terminated', (w) => w.string('ab'), '74616200'],
    ['no string', (w) => w.string(null), '4e'],
    [
      'a sample spec: s16le, 2 channels, 44100 Hz',
      (w) => w.sampleSpec({ format: 3, channels: 2, rate: 44100 }),
      '61030200'.concat('00ac44'),
    ],
    ['a channel map', (w) => w.channelMap([1, 2]), '6d020102'],
    ['a volume per channel', (w) => w.cvolume([0x10000, 0x8000]), '76020001000000008000'],
    ['arbitrary bytes, their length first', (w) => w.arbitrary(Buffer.from([9, 8])), '78000000020908'],
    ['a timeval: seconds, microseconds', (w) => w.timeval(1500.25), '54000000010007a21a'],
    [
      'properties: key, length, value with its NUL; a null string ends them',
      (w) => w.proplist({ a: 'b' }),
      '50' + '746100' + '4c00000002' + '78000000026200' + '4e',
    ],
  ];
  for (const [name, write, expected] of cases) {
    it(`writes ${name}`, () => assert.equal(hex(write(new TagWriter()).toBuffer()), expected));
  }

  it('reads back what it writes', () => {
    const body = new TagWriter()
      .u32(5)
      .u8(200)
      .bool(true)
      .string('ß')
      .string(null)
      .sampleSpec({ format: 3, channels: 1, rate: 48000 })
      .channelMap([0])
      .arbitrary(Buffer.from('xy'))
      .proplist({ 'media.name': 'music' })
      .toBuffer();
    const reader = new TagReader(body);
    assert.equal(reader.u32(), 5);
    assert.equal(reader.u8(), 200);
    assert.equal(reader.bool(), true);
    assert.equal(reader.string(), 'ß');
    assert.equal(reader.string(), null);
    assert.deepEqual(reader.sampleSpec(), { format: 3, channels: 1, rate: 48000 });
    assert.deepEqual(reader.channelMap(), [0]);
    assert.equal(reader.arbitrary().toString(), 'xy');
    assert.equal(reader.proplist().get('media.name')?.toString(), 'music\0');
    assert.ok(reader.done);
  });

  const refused: Array<[string, Buffer, (r: TagReader) => unknown, RegExp]> = [
    ['another type than asked', Buffer.from('4207', 'hex'), (r) => r.u32(), /expected L, found tag 0x42 at byte 0/],
    ['a value cut short', Buffer.from('4c0102', 'hex'), (r) => r.u32(), /cut short/],
    ['nothing left', Buffer.alloc(0), (r) => r.bool(), /expected boolean, found the end/],
    ['a string without its end', Buffer.from('746162', 'hex'), (r) => r.string(), /without its end/],
    ['arbitrary bytes longer than the packet', Buffer.from('78000000ff00', 'hex'), (r) => r.arbitrary(), /cut short/],
  ];
  for (const [name, body, read, message] of refused) {
    it(`refuses ${name}`, () => assert.throws(() => read(new TagReader(body)), message));
  }
});

describe('PulseAudio packets', () => {
  it('frames a command: 20-byte descriptor (length, channel -1, offset, flags), then its tags', () => {
    const packet = commandPacket(14, 3, (w) => w.u32(9));
    assert.equal(hex(packet.subarray(0, 20)), '0000000f' + 'ffffffff' + '00'.repeat(12));
    assert.equal(hex(packet.subarray(20)), '4c0000000e' + '4c00000003' + '4c00000009');
  });

  it('asks for protocol 32 without shared memory, with a 256-byte cookie', () => {
    const body = new TagReader(authPacket(0, Buffer.alloc(256, 1)).subarray(20));
    assert.deepEqual([body.u32(), body.u32(), body.u32(), body.arbitrary().length], [8, 0, 32, 256]);
  });

  it('cuts a byte stream into commands wherever its chunks end, and passes audio by', () => {
    const reply = commandPacket(2, 7, (w) => w.u32(1));
    const request = commandPacket(61, 0xffffffff, (w) => w.u32(4).u32(3528));
    const audio = Buffer.concat([Buffer.from('0000000400000004' + '00'.repeat(12), 'hex'), Buffer.alloc(4)]);
    const stream = Buffer.concat([reply, audio, request]);
    const reader = new PacketReader();
    const messages = [];
    for (let at = 0; at < stream.length; at += 7) messages.push(...reader.take(stream.subarray(at, at + 7)));
    assert.deepEqual(
      messages.map((body) => readMessage(body)).map((m) => (m.kind === 'reply' ? { kind: m.kind, tag: m.tag } : m)),
      [
        { kind: 'reply', tag: 7 },
        { kind: 'request', channel: 4, bytes: 3528 },
      ],
    );
  });

  it('refuses a packet too large to be a command', () => {
    const head = Buffer.from('7fffffff' + 'ffffffff' + '00'.repeat(12), 'hex');
    assert.throws(() => new PacketReader().take(head), /a packet of 2147483647 bytes/);
  });

  it('reads an error with its code, and what the server says unasked', () => {
    const body = (packet: Buffer): TagReader => new TagReader(packet.subarray(20));
    assert.deepEqual(readMessage(body(commandPacket(0, 4, (w) => w.u32(5)))), { kind: 'error', tag: 4, code: 5 });
    assert.deepEqual(readMessage(body(commandPacket(86, 0xffffffff, (w) => w.u32(2)))), {
      kind: 'started',
      channel: 2,
    });
    assert.deepEqual(readMessage(body(commandPacket(63, 0xffffffff, (w) => w.u32(2)))), {
      kind: 'underflow',
      channel: 2,
    });
    assert.deepEqual(readMessage(body(commandPacket(66, 0xffffffff, (w) => w.u32(0).u32(1)))), {
      kind: 'other',
      command: 66,
    });
  });

  it('reads a latency reply: the sink latency, whether it plays, write and read index', () => {
    const usec = (n: number): Buffer => {
      const out = Buffer.alloc(9);
      out[0] = 0x55;
      out.writeBigUInt64BE(BigInt(n), 1);
      return out;
    };
    const s64 = (n: number): Buffer => {
      const out = Buffer.alloc(9);
      out[0] = 0x72;
      out.writeBigInt64BE(BigInt(n), 1);
      return out;
    };
    const head = new TagWriter().toBuffer();
    const body = Buffer.concat([
      head,
      usec(40_000),
      usec(0),
      new TagWriter().bool(true).timeval(1000).timeval(1001).toBuffer(),
      s64(176_400),
      s64(88_200),
      usec(0),
      usec(500_000),
    ]);
    assert.deepEqual(readLatencyReply(new TagReader(body)), {
      sinkUsec: 40_000,
      playing: true,
      writeIndex: 176_400,
      readIndex: 88_200,
      serverMs: 1001,
    });
  });

  it('asks for new buffering (command 72): the stream, its four lengths, its two latency flags; reads the reply', () => {
    const buffer = { maxLength: 0xffffffff, targetLength: 11_520, preBuffer: 960, minRequest: 960 };
    const body = new TagReader(
      setBufferAttrPacket(5, 3, buffer, { adjustLatency: false, earlyRequests: true }).subarray(20),
    );
    assert.deepEqual(
      [body.u32(), body.u32(), body.u32(), body.u32(), body.u32(), body.u32(), body.u32(), body.bool(), body.bool()],
      [72, 5, 3, 0xffffffff, 11_520, 960, 960, false, true],
    );
    const reply = new TagWriter().u32(0xffffffff).u32(11_520).u32(960).u32(960).toBuffer();
    assert.deepEqual(
      readBufferAttrReply(new TagReader(Buffer.concat([reply, Buffer.from('55' + '00'.repeat(8), 'hex')]))),
      buffer,
    );
  });

  const gains: Array<[number, number]> = [
    [1, 0x10000],
    [0, 0],
    [0.125, 0x8000], // a cube: half of the volume's scale is an eighth of the samples' amplitude
    [-1, 0],
  ];
  for (const [gain, volume] of gains) {
    it(`takes a gain of ${gain} as volume 0x${volume.toString(16)}`, () => assert.equal(volumeOfGain(gain), volume));
  }
});
