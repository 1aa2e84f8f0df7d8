import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageType, jpegShrink, jpegSize, pickCoverFile, scaledType } from '../../daemon/artwork/cover-file.js';

const NAMES = ['cover', 'folder', 'front'];

describe('the cover file among a folder’s names', () => {
  const cases: Array<[string, string[], string | undefined]> = [
    ['none', ['01 a.mp3', 'notes.txt'], undefined],
    ['any case', ['01 a.mp3', 'FOLDER.JPG'], 'FOLDER.JPG'],
    ['the earlier name wins', ['front.png', 'folder.jpg', 'cover.webp'], 'cover.webp'],
    ['not a picture’s extension', ['cover.txt', 'cover.jpg.part', 'front.gif'], 'front.gif'],
    ['a name that only starts alike', ['covers.jpg', 'cover art.jpg'], undefined],
    ['two alike: by their bytes', ['cover.png', 'Cover.jpg'], 'Cover.jpg'],
    ['a hidden file is not an extension alone', ['.jpg', 'front.jpeg'], 'front.jpeg'],
  ];
  for (const [what, names, expected] of cases) it(what, () => assert.equal(pickCoverFile(names, NAMES), expected));
});

describe('a picture’s type and what it is scaled to', () => {
  const cases: Array<[string, number[], string | undefined, string]> = [
    ['JPEG', [0xff, 0xd8, 0xff, 0xe0], 'image/jpeg', 'image/jpeg'],
    ['PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png', 'image/png'],
    ['GIF', [...Buffer.from('GIF89a')], 'image/gif', 'image/png'],
    ['WebP', [...Buffer.from('RIFF\0\0\0\0WEBP')], 'image/webp', 'image/png'],
    ['BMP', [...Buffer.from('BM')], 'image/bmp', 'image/jpeg'],
    ['text', [...Buffer.from('<svg')], undefined, 'image/jpeg'],
  ];
  for (const [what, bytes, type, scaled] of cases)
    it(what, () => {
      assert.equal(imageType(Uint8Array.from(bytes)), type);
      assert.equal(scaledType(type ?? 'image/svg+xml'), scaled);
    });
});

/** A JPEG's start: SOI, then `segments` as marker and payload (its length is put in front). */
function jpeg(...segments: Array<[number, number[]]>): Uint8Array {
  const bytes = [0xff, 0xd8];
  for (const [marker, payload] of segments)
    bytes.push(0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload);
  return Uint8Array.from(bytes);
}
/** A frame header's payload: 8 bits, height, width, one component. */
const frame = (width: number, height: number): number[] => [
  8,
  height >> 8,
  height & 0xff,
  width >> 8,
  width & 0xff,
  1,
  1,
  0x11,
  0,
];

describe('a JPEG’s size from its frame header', () => {
  const cases: Array<[string, Uint8Array, { width: number; height: number } | undefined]> = [
    [
      'baseline after JFIF',
      jpeg([0xe0, [...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]], [0xc0, frame(600, 400)]),
      { width: 600, height: 400 },
    ],
    ['progressive', jpeg([0xc2, frame(1400, 1400)]), { width: 1400, height: 1400 }],
    [
      'after a large EXIF segment',
      jpeg([0xe1, new Array(5000).fill(0)], [0xc1, frame(3000, 2000)]),
      { width: 3000, height: 2000 },
    ],
    [
      'fill bytes before a marker',
      Uint8Array.from([0xff, 0xd8, 0xff, 0xff, 0xc0, 0, 11, ...frame(8, 9)]),
      { width: 8, height: 9 },
    ],
    ['DHT is not a frame', jpeg([0xc4, [0, 1, 2]], [0xc0, frame(10, 20)]), { width: 10, height: 20 }],
    ['the scan before any frame', jpeg([0xda, [1, 2, 3]], [0xc0, frame(10, 20)]), undefined],
    ['cut inside the frame header', jpeg([0xc0, frame(600, 400)]).subarray(0, 9), undefined],
    ['a zero width', jpeg([0xc0, frame(0, 400)]), undefined],
    ['a segment length under 2', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0xff, 0xc0]), undefined],
    ['bytes that are no marker', Uint8Array.from([0xff, 0xd8, 0x12, 0x34, 0, 0]), undefined],
    ['not a JPEG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47]), undefined],
  ];
  for (const [what, data, size] of cases) it(what, () => assert.deepEqual(jpegSize(data), size));
});

describe('the factor libjpeg decodes a cover smaller by', () => {
  const cases: Array<[number, number, number, number]> = [
    // width, height, size asked, shrink
    [600, 600, 300, 2],
    [599, 599, 300, 1], // half of it is 299: one pixel short
    [600, 600, 301, 1],
    [1200, 1200, 300, 4],
    [2400, 2400, 300, 8],
    [5000, 5000, 300, 8], // 8 is libjpeg's most
    [1000, 1000, 300, 2],
    [640, 480, 100, 4],
    [1200, 300, 300, 4], // a wide picture fits by its width
    [300, 1200, 150, 4], // 38 pixels wide asked; 300 / 8 is 37
    [500, 500, 600, 1], // never enlarged
    [500, 500, 500, 1],
    [16, 16, 1, 8],
  ];
  for (const [width, height, size, shrink] of cases)
    it(`${width}x${height} within ${size}: ${shrink}`, () => assert.equal(jpegShrink(width, height, size), shrink));
});
