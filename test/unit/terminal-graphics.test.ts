/** What a terminal says it can draw a cover as, and libchafa's kitty drawing made the cover's (tui/views/terminal-graphics.ts), table-tested. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answersComplete,
  COVER_IMAGE_ID,
  coverImage,
  graphicsOf,
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
