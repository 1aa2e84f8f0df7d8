/** The typed decoders of daemon answers, table-tested: what reads, and what is refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseCallList,
  parseCatalogStats,
  parseChanged,
  parseDeviceList,
  parseRadioReply,
  parseSongList,
  parseStreamPlan,
  ReplyFormatError,
  type Fields,
} from '../../common/protocol/replies.js';
import { songFields } from '../../common/protocol/records.js';
import { blockValue, encodeFields } from '../../common/protocol/response.js';
import { parseStreamBlockValue } from '../../common/protocol/response-reader.js';
import { song } from '../helpers/songs.js';

const f = (...pairs: Array<[string, string]>): Fields => pairs;
const HASH = 'ab'.repeat(32);

describe('reply decoders', () => {
  it('idle: the changed topics, unknown ones left out', () => {
    const table: Array<[Fields, string[]]> = [
      [f(), []],
      [f(['changed', 'devices']), ['devices']],
      [f(['changed', 'catalog'], ['changed', 'radio'], ['changed', 'calls']), ['catalog', 'radio', 'calls']],
      [f(['changed', 'weather'], ['changed', 'devices'], ['other', 'radio']), ['devices']],
    ];
    for (const [fields, topics] of table) assert.deepEqual(parseChanged(fields), topics);
  });

  it('lista: song records round-trip; a broken one is a ReplyFormatError', () => {
    const songs = [song(1), song(2, { title: undefined, artist: undefined, format: 'wav', bits: 24 })];
    const fields = songs.flatMap((s) => songFields(s).map(([k, v]) => [k, String(v)] as [string, string]));
    assert.deepEqual(
      parseSongList(fields),
      songs
        .map((s) => (s.title ? s : { ...s, title: undefined, artist: undefined }))
        .map((s) => JSON.parse(JSON.stringify(s))),
    );
    assert.deepEqual(parseSongList(f()), []);
    assert.throws(() => parseSongList(f(['song', '1'], ['file', 'a.mp3'])), ReplyFormatError);
    assert.throws(() => parseSongList(fields.map(([k, v]) => [k, k === 'format' ? 'aiff' : v])), ReplyFormatError);
  });

  it('devices, stats and radio', () => {
    assert.deepEqual(parseDeviceList(f()), []);
    assert.deepEqual(
      parseDeviceList(f(['device', 'a'], ['status', 'idle'], ['device', 'b'], ['address', '1.2.3.4:5'])).map((d) => [
        d.name,
        d.status,
        d.address,
      ]),
      [
        ['a', 'idle', ''],
        ['b', 'idle', '1.2.3.4:5'],
      ],
    );
    assert.deepEqual(parseCatalogStats(f(['catalog', 'ready'], ['catalog_version', '7'], ['songs', '3'])), {
      state: 'ready',
      version: '7',
    });
    assert.deepEqual(parseRadioReply(f(['radio', 'idle'], ['listeners', '0'])), {
      state: 'idle',
      listeners: 0,
      file: undefined,
      position: undefined,
    });
    assert.deepEqual(
      parseRadioReply(f(['radio', 'playing'], ['listeners', '3'], ['file', 'a.mp3'], ['position', '12.500'])),
      { state: 'playing', listeners: 3, file: 'a.mp3', position: 12.5 },
    );
    assert.throws(() => parseRadioReply(f(['radio', 'idle'])), /listeners/);
    assert.throws(() => parseRadioReply(f(['listeners', 'many'])), ReplyFormatError);
  });

  it('stream_block: written and read by the same codec as block:', () => {
    const block = { index: 3, start: 90, end: 120, bytes: 4800, sha256: HASH };
    assert.equal(blockValue(block), `3 90.000 120.000 4800 ${HASH}`);
    assert.deepEqual(parseStreamBlockValue(blockValue(block)), block);
    for (const bad of [
      '',
      '3 90 120 4800',
      `3 90.000 120.000 -1 ${HASH}`,
      `3 90.000 120.000 4800 ${HASH.toUpperCase()}`,
      `x 1 2 3 ${HASH}`,
    ]) {
      assert.equal(parseStreamBlockValue(bad), undefined, bad);
    }
  });

  it('stream: the plan when it adds up, a ReplyFormatError when not', () => {
    const blocks = [
      ['stream_block', blockValue({ index: 0, start: 0, end: 30, bytes: 2000, sha256: HASH })],
      ['stream_block', blockValue({ index: 1, start: 30, end: 31, bytes: 800, sha256: HASH })],
    ] as Array<[string, string]>;
    const good = f(
      ['stream', '7'],
      ['packets', '3'],
      ['packet_bytes', '1384'],
      ['token', '0011223344556677'],
      ...blocks,
    );
    const plan = parseStreamPlan(good);
    assert.deepEqual(
      [plan.stream, plan.packets, plan.packetBytes, plan.blocks.length, plan.token],
      [7, 3, 1384, 2, '0011223344556677'],
    );
    assert.equal(
      parseStreamPlan(good.filter(([k]) => k !== 'token')).token,
      undefined,
      'a daemon before 1.2 sends no token',
    );
    const table: Array<[Fields, RegExp]> = [
      [good.filter(([k]) => k !== 'stream'), /valid stream/],
      [good.map(([k, v]) => [k, k === 'packets' ? '4' : v]), /does not add up/],
      [good.map(([k, v]) => [k, k === 'packet_bytes' ? '0' : v]), /does not add up/],
      [[...good, ['stream_block', 'junk']], /bad stream_block/],
      [good.map(([k, v]) => [k, k === 'token' ? '00112233' : v]), /bad token/],
      [good.map(([k, v]) => [k, k === 'token' ? '0011223344556677zz' : v]), /bad token/],
      [good.map(([k, v]) => [k, k === 'token' ? 'G011223344556677' : v]), /bad token/],
    ];
    for (const [fields, message] of table)
      assert.throws(
        () => parseStreamPlan(fields),
        (error: Error) => error instanceof ReplyFormatError && message.test(error.message),
      );
  });

  it('what the daemon encodes is what the client decodes', () => {
    const text = encodeFields([
      ['changed', 'devices'],
      ['changed', 'radio'],
    ]);
    const fields = text
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]);
    assert.deepEqual(parseChanged(fields), ['devices', 'radio']);
  });
});

describe('parseCallList', () => {
  const record = (id: string, state: string, extra: Array<[string, string]> = []): Array<[string, string]> => [
    ['call', id],
    ['from', 'alice'],
    ['to', 'bob'],
    ['state', state],
    ['started', '2026-11-21T21:40:00.000Z'],
    ['token', '0011223344556677'],
    ...extra,
  ];
  it('reads each record, ended ones with reason and time', () => {
    const calls = parseCallList([
      ...record('7', 'ringing'),
      ...record('8', 'ended', [
        ['reason', 'rejected'],
        ['ended', '2026-11-21T21:41:00.000Z'],
      ]),
    ]);
    assert.deepEqual(
      calls.map((call) => [call.id, call.state, call.reason]),
      [
        [7, 'ringing', undefined],
        [8, 'ended', 'rejected'],
      ],
    );
    assert.deepEqual(parseCallList([]), []);
  });
  it('reads an end reason it does not know (a newer daemon’s) as other', () => {
    const [call] = parseCallList(record('7', 'ended', [['reason', 'bored']]));
    assert.equal(call?.reason, 'other');
    assert.equal(parseCallList(record('7', 'ended', [['reason', 'silent']]))[0]?.reason, 'silent');
  });

  it('refuses a record that does not read', () => {
    const table: Array<[Array<[string, string]>, RegExp]> = [
      [record('x', 'ringing'), /bad call id/],
      [record('7', 'dialling'), /bad call state/],
      [record('7', 'active').filter(([k]) => k !== 'token'), /without token/],
      [record('7', 'active').map(([k, v]) => [k, k === 'token' ? 'zz' : v]), /bad token/],
    ];
    for (const [fields, message] of table)
      assert.throws(
        () => parseCallList(fields),
        (error: Error) => error instanceof ReplyFormatError && message.test(error.message),
      );
  });
});
