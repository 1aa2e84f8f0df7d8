/** What a terminal says it can draw a cover as, and libchafa's kitty drawing made the cover's (tui/views/terminal-graphics.ts), table-tested. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answersComplete,
  COVER_IMAGE_ID,
  coverImage,
  eraseCells,
  graphicsOf,
  sixelImage,
  type CoverGraphics,
} from '../../tui/views/terminal-graphics.js';

describe("a terminal's answers", () => {
  const table: Array<[string, string, CoverGraphics]> = [
    [
      'kitty: the graphics query answered, its cells 9 by 19',
      '\x1b_Gi=31;OK\x1b\\\x1b[6;19;9t\x1b[?62;c',
      { kind: 'kitty', cellWidth: 9, cellHeight: 19 },
    ],
    ['tmux: only DA1 (no pictures, no cell size)', '\x1b[?1;2;4c', { kind: 'cells', cellWidth: 8, cellHeight: 16 }],
    [
      'a terminal that says the query is wrong',
      '\x1b_Gi=31;EINVAL:bad\x1b\\\x1b[?62c',
      { kind: 'cells', cellWidth: 8, cellHeight: 16 },
    ],
    [
      'another image id: not this query',
      '\x1b_Gi=7;OK\x1b\\\x1b[?62c',
      { kind: 'cells', cellWidth: 8, cellHeight: 16 },
    ],
    [
      'xterm as a VT340 telling its cells: sixels',
      '\x1b[6;13;6t\x1b[?63;1;2;4;6;9;15;16;22;28c',
      { kind: 'sixel', cellWidth: 6, cellHeight: 13 },
    ],
    [
      'sixels without the cell size: half blocks (their pixels would not fit the room)',
      '\x1b[?63;1;2;4;6c',
      { kind: 'cells', cellWidth: 8, cellHeight: 16 },
    ],
    ['attribute 42 is not 4', '\x1b[6;13;6t\x1b[?63;42c', { kind: 'cells', cellWidth: 6, cellHeight: 13 }],
    [
      'kitty first where both are said',
      '\x1b_Gi=31;OK\x1b\\\x1b[6;16;8t\x1b[?62;4c',
      { kind: 'kitty', cellWidth: 8, cellHeight: 16 },
    ],
    ['nothing at all', '', { kind: 'cells', cellWidth: 8, cellHeight: 16 }],
    ['a cell size of 0 is none', '\x1b[6;0;0t\x1b[?62c', { kind: 'cells', cellWidth: 8, cellHeight: 16 }],
  ];
  for (const [what, answers, graphics] of table) it(what, () => assert.deepEqual(graphicsOf(answers), graphics));

  it('are complete once DA1 has come', () => {
    assert.equal(answersComplete('\x1b_Gi=31;OK\x1b\\'), false);
    assert.equal(answersComplete('\x1b_Gi=31;OK\x1b\\\x1b[?62;22c'), true);
    assert.equal(answersComplete('\x1b[6;16;8t'), false);
  });
});

describe("libchafa's kitty drawing made the cover's", () => {
  const drawing = '\x1b_Ga=T,f=32,s=128,v=128,c=16,r=16,m=1\x1b\\\x1b_Gm=1;AAAA\x1b\\\x1b_Gm=0\x1b\\';
  it('has its id, asks for no answer, leaves the cursor, and covers the cells of its pixels', () => {
    const image = coverImage(drawing, 8, 16);
    assert.deepEqual(image && { cols: image.cols, rows: image.rows }, { cols: 16, rows: 8 });
    assert.equal(
      image?.escape,
      `\x1b_Ga=T,i=${COVER_IMAGE_ID},q=2,C=1,c=16,r=8,f=32,s=128,v=128,m=1\x1b\\\x1b_Gm=1;AAAA\x1b\\\x1b_Gm=0\x1b\\`,
    );
    const odd = coverImage(drawing, 7, 15);
    assert.deepEqual(odd && [odd.cols, odd.rows], [19, 9], 'a part of a cell is a cell');
  });
  for (const [what, text] of [
    ['half blocks', '\x1b[38;2;255;0;0m▀'],
    ['no size', '\x1b_Ga=T,f=32,m=1\x1b\\'],
    ['nothing', ''],
  ] as const)
    it(`is none for ${what}`, () => assert.equal(coverImage(text, 8, 16), undefined));
});

describe("libchafa's sixel drawing", () => {
  it('covers the cells of its pixels, from its raster attributes', () => {
    const drawing = '\x1bP0;1;0q"1;1;72;78#0;2;0;0;0!72~\x1b\\';
    const image = sixelImage(drawing, 6, 13);
    assert.deepEqual(image, { kind: 'sixel', escape: drawing, cols: 12, rows: 6 });
    const wider = sixelImage(drawing, 7, 15);
    assert.deepEqual(wider && [wider.cols, wider.rows], [11, 6], 'a part of a cell is a cell');
    assert.equal(sixelImage('\x1bP0;1;0q#0;2;0;0;0\x1b\\', 6, 13), undefined, 'no raster attributes: no size');
  });
  it('goes when its cells are written: each row of them erased in place', () => {
    assert.equal(eraseCells(30, 1, 12, 2), '\x1b[31;2H\x1b[12X\x1b[32;2H\x1b[12X');
  });
});
