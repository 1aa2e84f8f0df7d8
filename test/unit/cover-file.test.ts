import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageType, pickCoverFile, scaledType } from '../../daemon/artwork/cover-file.js';

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
