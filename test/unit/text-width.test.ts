import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayWidth, fit } from '../../tui/views/text-width.js';
import { markedSpans, styled } from '../../tui/views/format.js';

describe('displayWidth', () => {
  const cases: Array<[string, number, string]> = [
    ['abc', 3, 'ASCII'],
    ['Coração', 7, 'precomposed Latin'],
    ['Cafe\u0301', 4, 'a combining acute over the e'],
    ['東京', 4, 'kanji'],
    ['ブルース', 8, 'katakana with the long-vowel mark'],
    ['한국어', 6, 'hangul'],
    ['🎉', 2, 'an emoji'],
    ['a\u200db', 2, 'a zero-width joiner'],
    ['ＡＢ', 4, 'fullwidth Latin'],
    ['●◐▶', 3, 'ambiguous symbols, narrow'],
    ['', 0, 'nothing'],
  ];
  for (const [text, width, what] of cases) it(`${what}: ${width}`, () => assert.equal(displayWidth(text), width));
});

describe('fit', () => {
  const cases: Array<[string, number, string, string]> = [
    ['abc', 5, 'abc  ', 'pads'],
    ['abcdef', 4, 'abc…', 'cuts with …'],
    ['東京の雨', 8, '東京の雨', 'exactly fits'],
    ['東京の雨', 6, '東京… ', 'a wide character that would straddle the edge gives way to a space'],
    ['東京の雨', 7, '東京の…', 'cuts between wide characters'],
    ['Cafe\u0301 au lait', 5, 'Cafe\u0301…', 'keeps the mark with its letter'],
    ['🎉🎉🎉', 4, '🎉… ', 'emoji'],
    ['x', 0, '', 'no room'],
    ['東', 1, '…', 'one column for a wide character'],
  ];
  for (const [text, width, expected, what] of cases)
    it(what, () => {
      const fitted = fit(text, width);
      assert.equal(fitted, expected);
      assert.equal(displayWidth(fitted), width);
    });
});

describe('markedSpans and styled with wide text', () => {
  it('marks the matched characters of a cut wide name, not the …', () => {
    assert.deepEqual(markedSpans('東京の雨', [0, 3], 6, 'yellow-fg'), [['東', 'yellow-fg'], ['京… ']]);
  });
  it('keeps an emoji whole across spans', () => {
    assert.deepEqual(markedSpans('a🎉b', [1, 2], 4, 'yellow-fg'), [['a'], ['🎉', 'yellow-fg'], ['b']]);
  });
  it('cuts styled pieces by columns', () => {
    assert.equal(styled([['東京 '], ['online', 'green-fg']], 8), '東京 {green-fg}on…{/green-fg}');
  });
});
