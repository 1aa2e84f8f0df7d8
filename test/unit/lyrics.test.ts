import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentLyricLine, MAX_LYRIC_LINES, parseLyrics, type Lyrics } from '../../common/lyrics/lrc.js';

describe('lyrics', () => {
  const cases: Array<[string, string, Lyrics]> = [
    [
      'LRC: a stamp per line, tags left out',
      '[ar:Someone]\n[ti:Song]\n[00:01.00]One\n[00:02.50]Two\n',
      {
        synced: true,
        lines: [
          { ms: 1000, text: 'One' },
          { ms: 2500, text: 'Two' },
        ],
      },
    ],
    [
      'several stamps on one line (a chorus), sorted by time',
      '[00:10.00][01:10.00]Chorus\n[00:20.00]Verse',
      {
        synced: true,
        lines: [
          { ms: 10000, text: 'Chorus' },
          { ms: 20000, text: 'Verse' },
          { ms: 70000, text: 'Chorus' },
        ],
      },
    ],
    [
      'stamps of any precision: none, tenths, hundredths, thousandths, a colon',
      '[00:01]a\n[00:02.5]b\n[00:03.25]c\n[00:04.125]d\n[00:05:50]e',
      {
        synced: true,
        lines: [
          { ms: 1000, text: 'a' },
          { ms: 2500, text: 'b' },
          { ms: 3250, text: 'c' },
          { ms: 4125, text: 'd' },
          { ms: 5500, text: 'e' },
        ],
      },
    ],
    [
      'a positive offset shows the lines sooner; never before 0',
      '[offset:+500]\n[00:00.20]first\n[00:02.00]second',
      {
        synced: true,
        lines: [
          { ms: 0, text: 'first' },
          { ms: 1500, text: 'second' },
        ],
      },
    ],
    [
      "enhanced LRC's word stamps are dropped, CR LF and a BOM read",
      '\uFEFF[00:01.00]<00:01.00>Hel<00:01.50>lo\r\n[00:02.00]',
      {
        synced: true,
        lines: [
          { ms: 1000, text: 'Hello' },
          { ms: 2000, text: '' },
        ],
      },
    ],
    [
      'plain lyrics: lines as they are, blank lines kept inside, trimmed at the ends',
      '\nFirst verse\n\nSecond verse\n\n',
      { synced: false, lines: [{ text: 'First verse' }, { text: '' }, { text: 'Second verse' }] },
    ],
    [
      'control characters become spaces',
      '[00:01.00]a\u001b[31mred\u0007',
      { synced: true, lines: [{ ms: 1000, text: 'a [31mred' }] },
    ],
    ['nothing', '', { synced: false, lines: [] }],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(parseLyrics(text), expected));
  }

  it('bounds what a hostile file can hold', () => {
    const many = parseLyrics('[00:01.00]x\n'.repeat(MAX_LYRIC_LINES * 2));
    assert.equal(many.lines.length, MAX_LYRIC_LINES);
    const long = parseLyrics(`[00:01.00]${'y'.repeat(100_000)}`);
    assert.equal(long.lines[0]?.text.length, 500);
  });

  it('finds the line being sung at a position', () => {
    const { lines } = parseLyrics('[00:01.00]a\n[00:02.00]b\n[00:03.00]c');
    const table: Array<[number, number]> = [
      [0, -1],
      [999, -1],
      [1000, 0],
      [1999, 0],
      [2000, 1],
      [2500, 1],
      [3000, 2],
      [999_999, 2],
    ];
    for (const [ms, index] of table) assert.equal(currentLyricLine(lines, ms), index, `at ${ms} ms`);
    assert.equal(currentLyricLine([], 5000), -1);
  });
});
