import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCommand, quoteArg, tokenize } from '../../common/protocol/args.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { seeded } from '../helpers/random.js';

describe('tokenize', () => {
  const table: Array<[string, string[]]> = [
    ['lista', ['lista']],
    ['  download   song.mp3  ', ['download', 'song.mp3']],
    ['download\tsong.mp3', ['download', 'song.mp3']],
    ['download "Daft Punk - One More Time.mp3"', ['download', 'Daft Punk - One More Time.mp3']],
    ['download "a \\"quoted\\" name" 1 2', ['download', 'a "quoted" name', '1', '2']],
    ['x "back\\\\slash"', ['x', 'back\\slash']],
    ['x ""', ['x', '']],
    ['x "ção ♪"', ['x', 'ção ♪']],
    ['x mid"quote', ['x', 'mid"quote']],
    ['', []],
  ];
  for (const [line, values] of table) {
    it(`reads ${JSON.stringify(line)}`, () => {
      assert.deepEqual(
        tokenize(line).map((t) => t.value),
        values,
      );
    });
  }

  it('gives where each argument stood', () => {
    assert.deepEqual(
      tokenize('att  "a b" c').map((t) => [t.start, t.end]),
      [
        [0, 3],
        [5, 10],
        [11, 12],
      ],
    );
  });

  for (const bad of ['x "open', 'x "ends with backslash\\', 'x "glued"text']) {
    it(`refuses ${JSON.stringify(bad)} with bad_request`, () => {
      assert.throws(
        () => tokenize(bad),
        (e: unknown) => e instanceof ProtocolError && e.code === 'bad_request',
      );
    });
  }
});

describe('quoteArg and formatCommand', () => {
  const table: Array<[string, string]> = [
    ['plain', 'plain'],
    ['two words', '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['', '""'],
    ['tab\there', '"tab\there"'],
  ];
  for (const [value, quoted] of table) {
    it(`writes ${JSON.stringify(value)} as ${quoted}`, () => assert.equal(quoteArg(value), quoted));
  }

  it('refuses line breaks, which no quoting can carry', () => {
    assert.throws(() => quoteArg('a\nb'), RangeError);
  });

  it('builds a whole command line', () => {
    assert.equal(formatCommand('download', 'a b.mp3', 2), 'download "a b.mp3" 2\n');
  });

  it('round-trips random arguments', () => {
    const rand = seeded(7);
    const alphabet = ['a', 'Z', ' ', '"', '\\', '\t', 'ç', '♪', '-', '.'];
    for (let n = 0; n < 500; n++) {
      const args = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
        Array.from({ length: Math.floor(rand() * 8) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''),
      );
      const line = formatCommand('cmd', ...args).slice(0, -1);
      assert.deepEqual(
        tokenize(line).map((t) => t.value),
        ['cmd', ...args],
        line,
      );
    }
  });
});
