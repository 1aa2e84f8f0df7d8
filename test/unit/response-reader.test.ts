import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { songFields, type SongInfo } from '../../common/protocol/records.js';
import { blockLine, encodeFields, errLine, okLine, TRACK_END, TRACK_START } from '../../common/protocol/response.js';
import { FramingError, ResponseReader, type ResponseEvent } from '../../common/protocol/response-reader.js';
import { randomBytes, seeded, splits } from '../helpers/random.js';

/** Events with block data joined, so that any way of cutting the input gives the same list. */
function readAll(chunks: Buffer[]): { events: ResponseEvent[]; pending: number } {
  const reader = new ResponseReader();
  const events: ResponseEvent[] = [];
  let pending = 0;
  for (const chunk of chunks) {
    const result = reader.push(chunk);
    pending = result.pending;
    for (const event of result.events) {
      const last = events[events.length - 1];
      if (event.type === 'block-data' && last?.type === 'block-data') {
        last.bytes = Buffer.concat([last.bytes, event.bytes]);
      } else {
        events.push(event.type === 'block-data' ? { ...event, bytes: Buffer.from(event.bytes) } : event);
      }
    }
  }
  return { events, pending };
}

const song: SongInfo = {
  id: 12,
  file: 'Artist/Album/01 Song.mp3',
  title: 'Song',
  duration: 215.34,
  format: 'mp3',
  sampleRate: 44100,
  channels: 2,
  bytes: 9,
  blocks: 2,
  etag: '9f86d081884c7d65',
};
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('ResponseReader', () => {
  it('reads a greeting, records and OK', () => {
    const input = Buffer.from(okLine('streamd 1.0') + encodeFields(songFields(song)) + okLine());
    for (const chunks of splits(input)) {
      const { events, pending } = readAll(chunks);
      assert.equal(pending, 0);
      assert.deepEqual(events[0], { type: 'ok', text: 'streamd 1.0' });
      assert.deepEqual(events[1], { type: 'field', key: 'song', value: '12' });
      assert.deepEqual(events.at(-1), { type: 'ok', text: '' });
      assert.equal(events.filter((e) => e.type === 'field').length, songFields(song).length);
    }
  });

  it('reads ERR with its code and message', () => {
    for (const chunks of splits(Buffer.from(errLine('not_found', "no song 'x'") + 'ERR odd\n'))) {
      assert.deepEqual(readAll(chunks).events, [
        { type: 'err', code: 'not_found', message: "no song 'x'" },
        { type: 'err', code: 'odd', message: '' },
      ]);
    }
  });

  it('reads a download whose block bytes hold newlines and look like lines', () => {
    const b0 = Buffer.from('OK\nERR x\nblock: 9\n');
    const b1 = Buffer.from([0x0a, 0x00, 0xff]);
    const input = Buffer.concat([
      Buffer.from(TRACK_START + encodeFields(songFields(song))),
      Buffer.from(blockLine({ index: 0, start: 0, end: 30.015, bytes: b0.length, sha256: sha(b0) })),
      b0,
      Buffer.from(blockLine({ index: 1, start: 30.015, end: 40, bytes: b1.length, sha256: sha(b1) })),
      b1,
      Buffer.from(TRACK_END + okLine()),
    ]);
    for (const chunks of splits(input)) {
      const { events, pending } = readAll(chunks);
      assert.equal(pending, 0);
      const kinds = events.map((e) => e.type).filter((t) => t !== 'field');
      assert.deepEqual(kinds, [
        'track-start',
        'block',
        'block-data',
        'block-end',
        'block',
        'block-data',
        'block-end',
        'track-end',
        'ok',
      ]);
      const data = events.filter((e): e is Extract<ResponseEvent, { type: 'block-data' }> => e.type === 'block-data');
      assert.deepEqual(
        data.map((d) => d.bytes),
        [b0, b1],
      );
      const blocks = events.filter((e): e is Extract<ResponseEvent, { type: 'block' }> => e.type === 'block');
      assert.deepEqual(blocks[1]?.block, { index: 1, start: 30.015, end: 40, bytes: 3, sha256: sha(b1) });
    }
  });

  it('holds a partial line as pending', () => {
    const reader = new ResponseReader();
    assert.deepEqual(reader.push(Buffer.from('song: 1\nfil')), {
      events: [{ type: 'field', key: 'song', value: '1' }],
      pending: 3,
    });
  });

  for (const bad of ['garbage without colon\n', 'block: x y\n', 'block: 0 0.000 30.000 10 short\n']) {
    it(`fails with FramingError on ${JSON.stringify(bad)}`, () => {
      assert.throws(() => new ResponseReader().push(Buffer.from(bad)), FramingError);
    });
  }

  it('fails with FramingError on an endless line, not by growing', () => {
    const reader = new ResponseReader();
    assert.throws(() => {
      for (let i = 0; i < 100; i++) reader.push(Buffer.alloc(4096, 0x61));
    }, FramingError);
  });

  it("reads a picture's `binary:` piece, and the LF after it, however the bytes are cut", () => {
    const picture = Buffer.from([0x0a, 0x4f, 0x4b, 0x0a, 0xff, 0x00, 0x0a]); // LF and "OK" inside it
    const wire = Buffer.concat([
      Buffer.from('size: 7\ntype: image/png\nbinary: 7\n'),
      picture,
      Buffer.from('\nOK\nOK\n'),
    ]);
    for (const cuts of splits(wire)) {
      const reader = new ResponseReader();
      const events = cuts.flatMap((chunk) => reader.push(chunk).events);
      const data = Buffer.concat(
        events.flatMap((event) => (event.type === 'binary-data' ? [Buffer.from(event.bytes)] : [])),
      );
      assert.ok(data.equals(picture));
      assert.deepEqual(
        events.filter((event) => event.type !== 'binary-data').map((event) => event.type),
        ['field', 'field', 'field', 'ok', 'ok'],
      );
    }
    assert.throws(() => new ResponseReader().push(Buffer.from('binary: 2\nabX')), FramingError);
    assert.throws(() => new ResponseReader().push(Buffer.from('binary: 99999999\n')), FramingError);
  });

  it('throws nothing but FramingError on random bytes', () => {
    const rand = seeded(3);
    const alphabet = [...Buffer.from('OK ERR block: 0123456789abcdef\n\r.:-')];
    for (let n = 0; n < 500; n++) {
      const reader = new ResponseReader();
      try {
        reader.push(randomBytes(rand, Math.floor(rand() * 300), alphabet));
        reader.push(randomBytes(rand, Math.floor(rand() * 300)));
      } catch (error) {
        assert.ok(error instanceof FramingError, String(error));
      }
    }
  });
});

describe('values that reach other screens', () => {
  it('carry no control, separator or bidi override, whatever a tag holds', async () => {
    const { sanitizeValue, printable } = await import('../../common/protocol/response.js');
    const table: Array<[string, string]> = [
      ['plain ção ♪', 'plain ção ♪'],
      ['a\nb\rc\td', 'a b c d'],
      ['x\u009by\u0085z\u007f', 'x y z '],
      ['\u202eevil\u202c', ' evil '],
      ['a\u2028b\u2029c', 'a b c'],
      ['\u2066iso\u2069', ' iso '],
    ];
    for (const [value, expected] of table) assert.equal(sanitizeValue(value), expected, JSON.stringify(value));
    assert.equal(printable('bo\x07gus\u202e'), 'bo\\x07gus\\u202e');
  });
});
