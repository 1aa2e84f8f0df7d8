import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVorbisComments } from '../../common/audio/vorbis-comment.js';

/** A comment block: the vendor, then each `KEY=value`, lengths little-endian. */
function block(vendor: string, ...comments: Array<string | Buffer>): Buffer {
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const parts = comments.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c));
  return Buffer.concat([
    u32(Buffer.byteLength(vendor)),
    Buffer.from(vendor),
    u32(parts.length),
    ...parts.flatMap((p) => [u32(p.length), p]),
  ]);
}

describe('Vorbis comments', () => {
  const cases: Array<[string, Buffer, ReturnType<typeof parseVorbisComments>]> = [
    [
      'the usual keys, any case, numbers from their lead',
      block(
        'reference libFLAC 1.4.2',
        'TITLE=Ondas',
        'artist=Quarteto',
        'Album=Teste',
        'TRACKNUMBER=07/12',
        'DATE=2019-05-01',
        'DISCNUMBER=2/2',
        'GENRE=Jazz',
        'ALBUMARTIST=Vários',
      ),
      {
        title: 'Ondas',
        artist: 'Quarteto',
        album: 'Teste',
        track: 7,
        year: 2019,
        disc: 2,
        genre: 'Jazz',
        albumArtist: 'Vários',
        replayGain: {},
        holds: { picture: false, lyrics: false },
      },
    ],
    [
      'the first value of a key wins',
      block('v', 'ARTIST=One', 'ARTIST=Two'),
      { artist: 'One', replayGain: {}, holds: { picture: false, lyrics: false } },
    ],
    [
      '"ALBUM ARTIST" and YEAR',
      block('v', 'ALBUM ARTIST=Vários', 'YEAR=1999'),
      { albumArtist: 'Vários', year: 1999, replayGain: {}, holds: { picture: false, lyrics: false } },
    ],
    [
      'ReplayGain kept as written',
      block('v', 'REPLAYGAIN_TRACK_GAIN=-6.20 dB', 'replaygain_album_peak=0.98'),
      {
        replayGain: { replaygain_track_gain: '-6.20 dB', replaygain_album_peak: '0.98' },
        holds: { picture: false, lyrics: false },
      },
    ],
    [
      'numbers out of reason left out',
      block('v', 'TRACKNUMBER=0', 'DATE=unknown', 'DISCNUMBER=99999'),
      { replayGain: {}, holds: { picture: false, lyrics: false } },
    ],
    [
      'a comment without =, and a picture, stepped over',
      block(
        'v',
        'no equals sign',
        Buffer.concat([Buffer.from('METADATA_BLOCK_PICTURE='), Buffer.alloc(100_000, 0x41)]),
        'TITLE=After',
      ),
      { title: 'After', replayGain: {}, holds: { picture: true, lyrics: false } },
    ],
    [
      'an empty value is no value',
      block('v', 'TITLE=', 'TITLE=Second'),
      { title: 'Second', replayGain: {}, holds: { picture: false, lyrics: false } },
    ],
    [
      'lyrics, by either key',
      block('v', 'unsyncedlyrics=words'),
      { replayGain: {}, holds: { picture: false, lyrics: true } },
    ],
    ['LYRICS too', block('v', 'LYRICS=[00:01.00]x'), { replayGain: {}, holds: { picture: false, lyrics: true } }],
    ['a count past the end', Buffer.concat([block('v'), Buffer.alloc(0)]).fill(0xff, 5, 9), undefined],
    ['a length past the end', block('v', 'TITLE=x').subarray(0, 14), undefined],
    ['too short to be one', Buffer.alloc(3), undefined],
  ];
  for (const [name, body, expected] of cases) it(name, () => assert.deepEqual(parseVorbisComments(body), expected));
});
