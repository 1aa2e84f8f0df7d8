import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DatagramType,
  decodeDatagram,
  encodeDatagram,
  HEADER_BYTES,
  MAX_DATAGRAM_BYTES,
  MIN_SUBSCRIBE_BYTES,
  RejectReason,
  type Malformed,
} from '../../common/datagram/codec.js';
import {
  acceptDatagram,
  parseAccept,
  parseInfo,
  parseReject,
  rejectDatagram,
  subscribeDatagram,
  subscriberName,
  tokenDatagram,
} from '../../common/datagram/messages.js';
import { formatRanges, parseRanges } from '../../common/datagram/ranges.js';
import {
  decodeVoiceReport,
  encodeVoiceReport,
  roundTripMs,
  VOICE_REPORT_BYTES,
  type VoiceReport,
} from '../../common/datagram/voice-report.js';
import { randomBytes, seeded } from '../helpers/random.js';

const header = (type: number, rest: number[] = []): Buffer =>
  Buffer.from([0x53, 0x44, 1, type, 0, 0, 0, 7, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe, ...rest]);

describe('datagram header', () => {
  it('writes every field big-endian at its offset (docs/protocol.md, UDP table)', () => {
    const bytes = encodeDatagram({
      type: DatagramType.AUDIO,
      stream: 0x01020304,
      sequence: 0xa0b0c0d0,
      position: 0xfffffffe,
      payload: Buffer.from([9, 8]),
    });
    assert.deepEqual([...bytes], [0x53, 0x44, 1, 4, 1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0, 0xff, 0xff, 0xff, 0xfe, 9, 8]);
  });

  it('reads every field back', () => {
    const result = decodeDatagram(header(DatagramType.AUDIO, [1, 2, 3]));
    assert.ok(result.ok);
    assert.deepEqual(
      { ...result.datagram, payload: [...result.datagram.payload] },
      { type: 4, stream: 7, sequence: 256, position: 0xfffffffe, payload: [1, 2, 3] },
    );
  });

  it('wraps numbers past 32 bits instead of throwing', () => {
    const result = decodeDatagram(
      encodeDatagram({ type: DatagramType.END, stream: 2 ** 32 + 5, sequence: -1, position: 0 }),
    );
    assert.ok(result.ok);
    assert.equal(result.datagram.stream, 5);
    assert.equal(result.datagram.sequence, 0xffffffff);
  });

  it('refuses to build a datagram over 1400 bytes', () => {
    assert.throws(
      () =>
        encodeDatagram({
          type: DatagramType.AUDIO,
          stream: 1,
          sequence: 0,
          position: 0,
          payload: Buffer.alloc(MAX_DATAGRAM_BYTES - HEADER_BYTES + 1),
        }),
      RangeError,
    );
  });
});

describe('malformed datagrams are classified', () => {
  const subscribe = subscribeDatagram('me');
  const cases: Array<[string, Buffer, Malformed]> = [
    ['0 bytes', Buffer.alloc(0), 'empty'],
    ['1 byte', Buffer.from([0x53]), 'truncated_header'],
    ['15 bytes', header(4).subarray(0, 15), 'truncated_header'],
    ['65,507 bytes', Buffer.alloc(65_507), 'too_large'],
    ['1401 bytes', Buffer.concat([header(4), Buffer.alloc(MAX_DATAGRAM_BYTES - HEADER_BYTES + 1)]), 'too_large'],
    ['wrong magic (first byte)', Buffer.from([0x54, ...header(4, [1]).subarray(1)]), 'bad_magic'],
    ['wrong magic (second byte)', Buffer.from([0x53, 0x45, ...header(4, [1]).subarray(2)]), 'bad_magic'],
    ['version 0', Buffer.from([0x53, 0x44, 0, ...header(4, [1]).subarray(3)]), 'bad_version'],
    ['version 2', Buffer.from([0x53, 0x44, 2, ...header(4, [1]).subarray(3)]), 'bad_version'],
    ['type 0', header(0, [1]), 'unknown_type'],
    ['type 11', header(11, [1]), 'unknown_type'],
    ['VOICE with no payload', header(9, []), 'bad_payload'],
    ['VOICE_REPORT with no payload', header(10, []), 'bad_payload'],
    ['type 255', header(255, [1]), 'unknown_type'],
    ['SUBSCRIBE of 1199 bytes', subscribe.subarray(0, MIN_SUBSCRIBE_BYTES - 1), 'short_subscribe'],
    ['SUBSCRIBE of 16 bytes', header(1), 'short_subscribe'],
    ['ACCEPT without a whole token', header(2, [1, 2, 3, 4, 5, 6, 7]), 'bad_payload'],
    ['REJECT without a reason', header(3), 'bad_payload'],
    ['REJECT with reason 0', header(3, [0]), 'bad_payload'],
    ['REJECT with reason 5', header(3, [5]), 'bad_payload'],
    ['AUDIO without bytes', header(4), 'bad_payload'],
    ['END with a payload', header(5, [0]), 'bad_payload'],
    ['KEEPALIVE with 7 token bytes', header(6, [1, 2, 3, 4, 5, 6, 7]), 'bad_payload'],
    ['KEEPALIVE with 9 token bytes', header(6, [1, 2, 3, 4, 5, 6, 7, 8, 9]), 'bad_payload'],
    ['LEAVE without a token', header(7), 'bad_payload'],
    ['INFO with one byte', header(8, [0x7b]), 'bad_payload'],
  ];
  for (const [name, bytes, reason] of cases) {
    it(name, () => assert.deepEqual(decodeDatagram(bytes), { ok: false, reason }));
  }

  it('takes the smallest valid datagram of each type', () => {
    const sizes: Array<[number, number]> = [
      [1, MIN_SUBSCRIBE_BYTES - 16],
      [2, 8],
      [3, 1],
      [4, 1],
      [5, 0],
      [6, 8],
      [7, 8],
      [8, 2],
      [9, 1],
      [10, 1],
    ];
    for (const [type, size] of sizes) {
      const bytes = header(
        type,
        Array.from({ length: size }, () => (type === 3 ? 1 : 0x20)),
      );
      assert.equal(decodeDatagram(bytes).ok, true, `type ${type}`);
    }
  });

  it('random bytes never throw, and each gets a result', () => {
    const rand = seeded(44);
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(rand() * 1500);
      const bytes = randomBytes(rand, length);
      // Half of them with a valid magic and version, so that the later checks are reached too.
      if (i % 2 === 0 && length >= 4) bytes.set([0x53, 0x44, 1, Math.floor(rand() * 10)]);
      const result = decodeDatagram(bytes);
      assert.equal(typeof result.ok, 'boolean');
      if (result.ok) {
        parseInfo(result.datagram.payload);
        parseAccept(result.datagram.payload);
        parseReject(result.datagram.payload);
        subscriberName(result.datagram.payload);
      }
    }
  });
});

describe('datagram payloads', () => {
  it('SUBSCRIBE is padded to 1200 bytes and gives its name back', () => {
    const bytes = subscribeDatagram('living-room');
    assert.equal(bytes.length, MIN_SUBSCRIBE_BYTES);
    const result = decodeDatagram(bytes);
    assert.ok(result.ok);
    assert.equal(subscriberName(result.datagram.payload), 'living-room');
    assert.equal(subscriberName(Buffer.from([0xff, 0, 0])), undefined, 'invalid UTF-8');
    assert.equal(subscriberName(Buffer.from('a\u0001b\0')), undefined, 'control characters');
  });

  it('ACCEPT fits the request: long titles are cut, the token and numbers kept', () => {
    const info = {
      format: 'mp3' as const,
      sample_rate: 44100,
      channels: 2,
      title: 'T'.repeat(3000),
      artist: 'A'.repeat(500),
    };
    const bytes = acceptDatagram(
      { stream: 1, sequence: 2, position: 3 },
      Buffer.alloc(8, 9),
      info,
      MIN_SUBSCRIBE_BYTES,
    );
    assert.ok(bytes && bytes.length <= MIN_SUBSCRIBE_BYTES);
    const result = decodeDatagram(bytes);
    assert.ok(result.ok);
    const accept = parseAccept(result.datagram.payload);
    assert.deepEqual(accept?.token, Buffer.alloc(8, 9));
    assert.equal(accept?.info.sample_rate, 44100);
    assert.ok(accept?.info.title?.startsWith('TTT'));
  });

  it('REJECT text is cut to the request size on a character boundary', () => {
    const bytes = rejectDatagram({ stream: 0, sequence: 0, position: 0 }, RejectReason.FULL, 'ééééé', 16 + 1 + 5);
    assert.equal(bytes.length, 16 + 1 + 4);
    const result = decodeDatagram(bytes);
    assert.ok(result.ok);
    assert.deepEqual(parseReject(result.datagram.payload), { reason: RejectReason.FULL, text: 'éé' });
  });

  it('KEEPALIVE and LEAVE carry the token', () => {
    for (const type of [DatagramType.KEEPALIVE, DatagramType.LEAVE] as const) {
      const result = decodeDatagram(tokenDatagram(type, 5, Buffer.alloc(8, 1)));
      assert.ok(result.ok);
      assert.deepEqual(result.datagram.payload, Buffer.alloc(8, 1));
    }
  });

  it('INFO that is not a JSON object with the audio format is not taken', () => {
    for (const text of ['[]', 'null', '{"sample_rate":1}', '{bad', '"x"'])
      assert.equal(parseInfo(Buffer.from(text)), undefined, text);
    assert.deepEqual(parseInfo(Buffer.from('{"sample_rate":8000,"channels":1}')), { sample_rate: 8000, channels: 1 });
  });
});

describe('resend ranges', () => {
  const good: Array<[string, number[][]]> = [
    ['0', [[0, 0]]],
    [
      '5-9,12',
      [
        [5, 9],
        [12, 12],
      ],
    ],
    ['99', [[99, 99]]],
    ['3-3', [[3, 3]]],
  ];
  for (const [text, ranges] of good) it(`reads ${text}`, () => assert.deepEqual(parseRanges(text, 100), ranges));
  for (const text of ['', ',', '1,', '-1', '1-', '5-2', '100', '1-100', 'a', '1 2', '1-2-3', '99999999999']) {
    it(`refuses '${text}'`, () => assert.throws(() => parseRanges(text, 100), /RangeSyntaxError|range|number|past/));
  }
  it('writes runs as ranges and cuts long lists into lines', () => {
    assert.deepEqual(formatRanges([1, 2, 3, 7, 9, 10]), ['1-3,7,9-10']);
    const many = Array.from({ length: 1000 }, (_, i) => i * 2);
    const pieces = formatRanges(many, 100);
    assert.ok(pieces.every((piece) => piece.length <= 100));
    assert.deepEqual(
      pieces.flatMap((piece) => parseRanges(piece, 2000).map(([a]) => a)),
      many,
    );
  });
});

describe('VOICE_REPORT payload', () => {
  const report: VoiceReport = { echo: 4_000_000_000, heldMs: 250, received: 1520, lost: 12, late: 3, jitterUs: 2100 };
  it('writes each field big-endian at its offset, and reads it back', () => {
    const bytes = encodeVoiceReport(report);
    assert.equal(bytes.length, VOICE_REPORT_BYTES);
    assert.deepEqual(
      [0, 4, 8, 12, 16, 20].map((at) => bytes.readUInt32BE(at)),
      [4_000_000_000, 250, 1520, 12, 3, 2100],
    );
    assert.deepEqual(decodeVoiceReport(bytes), report);
  });
  it('clamps what does not fit 32 bits instead of wrapping it', () => {
    assert.deepEqual(decodeVoiceReport(encodeVoiceReport({ ...report, lost: -5, late: 2 ** 40, jitterUs: 12.6 })), {
      ...report,
      lost: 0,
      late: 0xffffffff,
      jitterUs: 13,
    });
  });
  const wrongLengths: Array<[string, number]> = [
    ['empty', 0],
    ['one short', 23],
    ['one over', 25],
    ['with the token still on', 32],
  ];
  for (const [name, length] of wrongLengths)
    it(`is not read when ${name} (${length} bytes)`, () =>
      assert.equal(decodeVoiceReport(Buffer.alloc(length)), undefined));
  const trips: Array<[string, Partial<VoiceReport>, number, number | undefined]> = [
    ['no echo yet', { echo: 0 }, 5000, undefined],
    ['sent at 1000, held 30, back at 1072', { echo: 1000, heldMs: 30 }, 1072, 42],
    ['across the 2^32 wrap', { echo: 2 ** 32 - 10, heldMs: 5 }, 2 ** 32 + 20, 25],
    ['an echo from the future (not ours)', { echo: 9000, heldMs: 0 }, 1000, undefined],
  ];
  for (const [name, fields, now, expected] of trips)
    it(`round trip: ${name}`, () => assert.equal(roundTripMs({ ...report, ...fields }, now), expected));
});
