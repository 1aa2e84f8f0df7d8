import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseBuffer } from 'music-metadata';
import { quickRead, quickTags } from '../../daemon/catalog/quick-tags.js';
import { id3v2Tag } from '../../daemon/demo/id3-writer.js';
import { FIXTURE_SONGS, makeFixtureLibrary } from '../helpers/fixtures.js';

function frame(id: string, body: Buffer, size = body.length, flags = [0, 0]): Buffer {
  const header = Buffer.alloc(10);
  header.write(id, 0, 'latin1');
  header.writeUInt32BE(size, 4);
  header[8] = flags[0] as number;
  header[9] = flags[1] as number;
  return Buffer.concat([header, body]);
}

function tag(major: number, frames: Buffer[], flags = 0): Buffer {
  const body = Buffer.concat(frames);
  const size = body.length;
  const header = Buffer.from([
    0x49,
    0x44,
    0x33,
    major,
    0,
    flags,
    (size >> 21) & 0x7f,
    (size >> 14) & 0x7f,
    (size >> 7) & 0x7f,
    size & 0x7f,
  ]);
  return Buffer.concat([header, body, Buffer.alloc(20)]);
}

const text = (encoding: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([encoding]), value]);

describe('quickTags', () => {
  const library = makeFixtureLibrary();
  after(() => library.cleanup());

  for (const fixture of FIXTURE_SONGS.filter((s) => s.format === 'mp3')) {
    it(`reads what music-metadata reads from ${fixture.file}`, async () => {
      const buf = readFileSync(path.join(library.root, fixture.file));
      const quick = quickTags(buf);
      assert.ok(quick, 'plain tags');
      const { common } = await parseBuffer(buf, { mimeType: 'audio/mpeg' }, { duration: false, skipCovers: true });
      const expected = {
        title: common.title,
        artist: common.artist,
        album: common.album,
        track: common.track.no ?? undefined,
        year: common.year,
        albumArtist: common.albumartist,
        disc: common.disk.no ?? undefined,
        genre: common.genre?.[0],
      };
      assert.deepEqual(quick, Object.fromEntries(Object.entries(expected).filter(([, v]) => v)));
    });
  }

  const cases: Array<[string, Buffer, object | undefined]> = [
    [
      'ID3v2.3 UTF-16',
      id3v2Tag({ title: 'Canção ♪', artist: 'Ártist', album: 'Ålbum' }),
      { title: 'Canção ♪', artist: 'Ártist', album: 'Ålbum' },
    ],
    [
      'album artist, disc of a set, genre',
      id3v2Tag({ title: 'One', albumArtist: 'Various Artists', disc: '2/2', genre: 'Samba' }),
      { title: 'One', albumArtist: 'Various Artists', disc: 2, genre: 'Samba' },
    ],
    ['a genre by its ID3v1 number: music-metadata names it', id3v2Tag({ genre: '(17)' }), undefined],
    ['a genre number and name', id3v2Tag({ genre: '(17)Rock' }), undefined],
    [
      'ID3v2.4 UTF-8, several values',
      tag(4, [frame('TIT2', text(3, Buffer.from('Uno\0Dos'))), frame('TPE1', text(3, Buffer.from('Banda')))]),
      { title: 'Uno', artist: 'Banda' },
    ],
    [
      'ID3v2.3 latin1 with NUL end',
      tag(3, [frame('TALB', text(0, Buffer.from('Album\0', 'latin1')))]),
      { album: 'Album' },
    ],
    ['ID3v2.3 UTF-16BE', tag(3, [frame('TIT2', text(2, Buffer.from('Hi', 'utf16le').swap16()))]), { title: 'Hi' }],
    ['no tags', Buffer.alloc(200), {}],
    [
      'track of a total, a 2.4 date',
      tag(4, [frame('TRCK', text(3, Buffer.from('07/12'))), frame('TDRC', text(3, Buffer.from('2019-05-01')))]),
      { track: 7, year: 2019 },
    ],
    [
      'track 0 and a year that is no number are no tags',
      tag(3, [frame('TRCK', text(0, Buffer.from('0'))), frame('TYER', text(0, Buffer.from('n/a')))]),
      {},
    ],
    ['unsynchronised tag', tag(3, [frame('TIT2', text(0, Buffer.from('x')))], 0x80), undefined],
    ['extended header', tag(3, [frame('TIT2', text(0, Buffer.from('x')))], 0x40), undefined],
    ['ID3v2.2', tag(2, []), undefined],
    ['compressed frame', tag(3, [frame('TIT2', text(0, Buffer.from('x')), 2, [0, 0x80])]), undefined],
    ['frame past the tag', tag(3, [frame('TIT2', text(0, Buffer.from('x')), 5000)]), undefined],
    ['APE tag at the end', Buffer.concat([Buffer.alloc(100), Buffer.from('APETAGEX'), Buffer.alloc(24)]), undefined],
  ];
  for (const [name, bytes, expected] of cases) {
    it(name, () => assert.deepEqual(quickTags(bytes), expected));
  }

  it('says whether the tags hold a picture (APIC) and lyrics (USLT, SYLT)', () => {
    const title = frame('TIT2', text(0, Buffer.from('x')));
    const body = Buffer.from('\0image/png\0\x03\0\x89PNG', 'latin1');
    const holds = (bytes: Buffer) => quickRead(bytes)?.holds;
    assert.deepEqual(holds(tag(3, [title])), { picture: false, lyrics: false });
    assert.deepEqual(holds(Buffer.alloc(200)), { picture: false, lyrics: false }, 'no tags at all');
    assert.deepEqual(holds(tag(3, [title, frame('APIC', body)])), { picture: true, lyrics: false });
    assert.deepEqual(holds(tag(4, [frame('USLT', text(3, Buffer.from('eng\0words')))])), {
      picture: false,
      lyrics: true,
    });
    assert.deepEqual(holds(tag(3, [frame('SYLT', Buffer.alloc(12)), frame('APIC', body)])), {
      picture: true,
      lyrics: true,
    });
  });

  it('leaves a file with an ID3v2 tag appended at the end to music-metadata', () => {
    const footer = Buffer.from('3DI\x04\0\0\0\0\0\x10', 'latin1');
    const v1 = Buffer.alloc(128);
    v1.write('TAG', 0, 'latin1');
    const head = tag(3, [frame('TIT2', text(0, Buffer.from('x')))]);
    assert.equal(quickRead(Buffer.concat([head, Buffer.alloc(500), footer])), undefined, 'at the end');
    assert.equal(quickRead(Buffer.concat([head, Buffer.alloc(500), footer, v1])), undefined, 'before ID3v1');
    assert.ok(quickRead(Buffer.concat([head, Buffer.alloc(500), v1])), 'without one');
  });

  it('leaves a file with a second ID3v2 tag right after the first to music-metadata', () => {
    const first = tag(3, [frame('TIT2', text(0, Buffer.from('x')))]).subarray(0, -20); // without what follows it
    const second = tag(3, [frame('APIC', Buffer.from('\0image/png\0\x03\0', 'latin1'))]);
    assert.equal(quickRead(Buffer.concat([first, second, Buffer.alloc(500)])), undefined);
  });

  it('takes from ID3v1 what ID3v2 lacks', () => {
    const v1 = Buffer.alloc(128);
    v1.write('TAG', 0, 'latin1');
    v1.write('Old Title', 3, 'latin1');
    v1.write('Old Album', 63, 'latin1');
    v1.write('1998', 93, 'latin1');
    v1[126] = 4; // ID3v1.1: byte 125 zero, 126 the track
    const bytes = Buffer.concat([tag(3, [frame('TIT2', text(0, Buffer.from('New Title')))]), Buffer.alloc(500), v1]);
    assert.deepEqual(quickTags(bytes), { title: 'New Title', album: 'Old Album', year: 1998, track: 4 });
  });
});
