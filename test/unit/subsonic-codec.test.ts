/** The Subsonic API's pure parts: its answers as XML and JSON, byte ranges, names sorted and indexed, what a stream request asks for. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteRange } from '../../common/http/byte-range.js';
import { SubsonicError, writeResponse, xmlText, type SubsonicObject } from '../../common/subsonic/response.js';
import type { CatalogSong } from '../../daemon/catalog/song.js';
import { foldText, indexLetter, sortKey } from '../../daemon/subsonic/library-view.js';
import { streamPlan } from '../../daemon/subsonic/media-server.js';

const ABOUT = { type: 'streamd', serverVersion: '1.0' };
const ENVELOPE =
  'xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="streamd" serverVersion="1.0" openSubsonic="true"';

describe('writeResponse', () => {
  const cases: Array<{ name: string; body: SubsonicObject; xml: string; json: string }> = [
    {
      name: 'an empty answer',
      body: {},
      xml: `<subsonic-response ${ENVELOPE}/>`,
      json: '{"status":"ok","version":"1.16.1","type":"streamd","serverVersion":"1.0","openSubsonic":true}',
    },
    {
      name: 'scalars as attributes, an array as repeated elements, `value` as text',
      body: {
        genres: {
          genre: [
            { value: 'Jazz & Blues', songCount: 3 },
            { value: 'Rock', songCount: 1 },
          ],
        },
      },
      xml: `<subsonic-response ${ENVELOPE}><genres><genre songCount="3">Jazz &amp; Blues</genre><genre songCount="1">Rock</genre></genres></subsonic-response>`,
      json: '{"status":"ok","version":"1.16.1","type":"streamd","serverVersion":"1.0","openSubsonic":true,"genres":{"genre":[{"value":"Jazz & Blues","songCount":3},{"value":"Rock","songCount":1}]}}',
    },
    {
      name: 'undefined left out; booleans and quotes',
      body: { song: { id: '1', title: 'Say "hi"', isDir: false, year: undefined } },
      xml: `<subsonic-response ${ENVELOPE}><song id="1" title="Say &quot;hi&quot;" isDir="false"/></subsonic-response>`,
      json: '{"status":"ok","version":"1.16.1","type":"streamd","serverVersion":"1.0","openSubsonic":true,"song":{"id":"1","title":"Say \\"hi\\"","isDir":false}}',
    },
    {
      name: 'an array of scalars as elements with text',
      body: { playlist: { allowedUser: ['a', 'b'] } },
      xml: `<subsonic-response ${ENVELOPE}><playlist><allowedUser>a</allowedUser><allowedUser>b</allowedUser></playlist></subsonic-response>`,
      json: '{"status":"ok","version":"1.16.1","type":"streamd","serverVersion":"1.0","openSubsonic":true,"playlist":{"allowedUser":["a","b"]}}',
    },
  ];
  for (const { name, body, xml, json } of cases) {
    it(name, () => {
      assert.equal(writeResponse({ ok: body }, 'xml', ABOUT), `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
      assert.equal(writeResponse({ ok: body }, 'json', ABOUT), `{"subsonic-response":${json}}`);
    });
  }
  it('writes a failure with its code and message', () => {
    const error = new SubsonicError(70, "song not found: '<x>'");
    assert.match(
      writeResponse({ error }, 'xml', ABOUT),
      /status="failed"[^>]*><error code="70" message="song not found: &apos;&lt;x&gt;&apos;"\/>/,
    );
    assert.deepEqual(JSON.parse(writeResponse({ error }, 'json', ABOUT))['subsonic-response'].error, {
      code: 70,
      message: "song not found: '<x>'",
    });
  });
  it('drops the characters XML 1.0 cannot hold (a tag with a control character)', () => {
    assert.equal(xmlText('a\u0000b\u0007c\td\n'), 'abc\td\n');
  });
});

describe('byteRange', () => {
  const cases: Array<[string | undefined, number, ReturnType<typeof byteRange>]> = [
    [undefined, 1000, undefined],
    ['bytes=0-99', 1000, { start: 0, end: 99 }],
    ['bytes=900-', 1000, { start: 900, end: 999 }],
    ['bytes=900-5000', 1000, { start: 900, end: 999 }],
    ['bytes=-100', 1000, { start: 900, end: 999 }],
    ['bytes=-5000', 1000, { start: 0, end: 999 }],
    ['bytes=1000-', 1000, 'unsatisfiable'],
    ['bytes=-0', 1000, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=500-100', 1000, undefined],
    ['bytes=0-1,5-9', 1000, undefined],
    ['items=0-1', 1000, undefined],
    ['bytes=-', 1000, undefined],
    [`bytes=${'9'.repeat(40)}-`, 1000, undefined],
  ];
  for (const [header, size, expected] of cases)
    it(`${header ?? '(none)'} of ${size}`, () => assert.deepEqual(byteRange(header, size), expected));
});

describe('names as the API sorts and indexes them', () => {
  const cases: Array<[string, string, string]> = [
    ['The Beatles', 'beatles', 'B'],
    ['Björk', 'bjork', 'B'],
    ['Ólafur Arnalds', 'olafur arnalds', 'O'],
    ['The', 'the', 'T'],
    ['2Pac', '2pac', '#'],
    ['[Unknown Artist]', '[unknown artist]', '#'],
    ['Les Rita Mitsouko', 'rita mitsouko', 'R'],
  ];
  for (const [name, key, letter] of cases)
    it(name, () => assert.deepEqual([sortKey(name), indexLetter(name)], [key, letter]));
  it('folds case and accents for search', () => assert.equal(foldText('BEYONCÉ Jóga'), 'beyonce joga'));
});

describe('streamPlan', () => {
  // A FLAC of 1,411 kb/s and an MP3 of 128.
  const song = (format: 'flac' | 'mp3', kbps: number) =>
    ({ info: { format, duration: 10, bytes: (kbps * 1000 * 10) / 8 } }) as unknown as CatalogSong;
  const cases: Array<
    [string, CatalogSong, { format: string | undefined; maxBitRate: number }, ReturnType<typeof streamPlan>]
  > = [
    ['nothing asked: as it is', song('flac', 1411), { format: undefined, maxBitRate: 0 }, { raw: true }],
    ['raw', song('flac', 1411), { format: 'raw', maxBitRate: 128 }, { raw: true }],
    [
      "a rate below the file's: MP3 at it",
      song('flac', 1411),
      { format: undefined, maxBitRate: 128 },
      { raw: false, format: 'mp3', kbps: 128 },
    ],
    ["a rate above the file's: as it is", song('mp3', 128), { format: undefined, maxBitRate: 320 }, { raw: true }],
    ['its own format: as it is', song('mp3', 128), { format: 'mp3', maxBitRate: 0 }, { raw: true }],
    [
      'mp3 without a rate: 192',
      song('flac', 1411),
      { format: 'mp3', maxBitRate: 0 },
      { raw: false, format: 'mp3', kbps: 192 },
    ],
    ['ogg means Opus', song('flac', 1411), { format: 'ogg', maxBitRate: 64 }, { raw: false, format: 'opus', kbps: 64 }],
    [
      'opus: a rate too high is bounded',
      song('flac', 1411),
      { format: 'opus', maxBitRate: 1000 },
      { raw: false, format: 'opus', kbps: 256 },
    ],
    [
      'mp3: a rate too low is bounded',
      song('flac', 1411),
      { format: 'MP3', maxBitRate: 8 },
      { raw: false, format: 'mp3', kbps: 32 },
    ],
  ];
  for (const [name, input, asked, expected] of cases)
    it(name, () => assert.deepEqual(streamPlan(input, asked), expected));
  it('refuses a format it does not make', () =>
    assert.throws(() => streamPlan(song('flac', 1411), { format: 'wma', maxBitRate: 0 }), /not served/));
});
