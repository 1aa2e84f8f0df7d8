import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineReader, type Line } from '../../common/protocol/line-reader.js';
import { randomBytes, seeded, splits } from '../helpers/random.js';

function readAll(chunks: Buffer[], max = 4096): { lines: Line[]; overflow: boolean; pending: number } {
  const reader = new LineReader(max);
  const lines: Line[] = [];
  let overflow = false;
  let pending = 0;
  for (const chunk of chunks) {
    const result = reader.push(chunk);
    lines.push(...result.lines);
    overflow ||= result.overflow;
    pending = result.pending;
  }
  return { lines, overflow, pending };
}

const text = (t: string): Line => ({ ok: true, text: t });

describe('LineReader', () => {
  const table: Array<{ name: string; input: Buffer; lines: Line[]; pending: number }> = [
    { name: 'one line', input: Buffer.from('lista\n'), lines: [text('lista')], pending: 0 },
    { name: 'CR LF', input: Buffer.from('lista\r\nping\r\n'), lines: [text('lista'), text('ping')], pending: 0 },
    {
      name: 'pipelined with a partial tail',
      input: Buffer.from('a\nb\nhel'),
      lines: [text('a'), text('b')],
      pending: 3,
    },
    { name: 'empty lines', input: Buffer.from('\n\r\n'), lines: [text(''), text('')], pending: 0 },
    {
      name: 'UTF-8 across chunks',
      input: Buffer.from('att status ção ♪\n'),
      lines: [text('att status ção ♪')],
      pending: 0,
    },
    {
      name: 'invalid UTF-8, then a good line',
      input: Buffer.concat([Buffer.from([0x61, 0xff, 0xfe, 0x0a]), Buffer.from('ping\n')]),
      lines: [{ ok: false, reason: 'invalid_utf8' }, text('ping')],
      pending: 0,
    },
    { name: 'a lone CR is part of the line', input: Buffer.from('a\rb\n'), lines: [text('a\rb')], pending: 0 },
  ];
  for (const row of table) {
    it(`${row.name}, at every split point and one byte at a time`, () => {
      for (const chunks of splits(row.input)) {
        const result = readAll(chunks);
        assert.deepEqual(result.lines, row.lines);
        assert.equal(result.pending, row.pending);
        assert.equal(result.overflow, false);
      }
    });
  }

  it('takes a line of exactly the limit, with or without CR', () => {
    for (const ending of ['\n', '\r\n']) {
      for (const chunks of splits(Buffer.from(`${'x'.repeat(16)}${ending}`))) {
        assert.deepEqual(readAll(chunks, 16).lines, [text('x'.repeat(16))]);
      }
    }
  });

  it('reports one byte over the limit, at every split point', () => {
    for (const chunks of splits(Buffer.from(`ok\n${'x'.repeat(17)}\nnever\n`))) {
      const result = readAll(chunks, 16);
      assert.equal(result.overflow, true);
      assert.deepEqual(result.lines, [text('ok')]);
    }
  });

  it('reports an endless line before its newline, holding at most the limit', () => {
    const reader = new LineReader(4096);
    let held = 0;
    let overflow = false;
    for (let i = 0; i < 100 && !overflow; i++) {
      const result = reader.push(Buffer.alloc(1000, 0x61));
      overflow = result.overflow;
      held = Math.max(held, result.pending);
    }
    assert.equal(overflow, true);
    assert.ok(held <= 4097, `held ${held} bytes`);
  });

  it('never throws on random bytes, and accounts for every byte', () => {
    const rand = seeded(42);
    for (let n = 0; n < 300; n++) {
      const input = randomBytes(rand, Math.floor(rand() * 600), [0x0a, 0x0d, 0x61, 0xff, 0xc3, 0xa7, 0x20, 0x00]);
      const reader = new LineReader(64);
      let at = 0;
      while (at < input.length) {
        const size = 1 + Math.floor(rand() * 50);
        const result = reader.push(input.subarray(at, at + size));
        at += size;
        if (result.overflow) break;
        assert.ok(result.pending <= 65);
      }
    }
  });
  it('takes at most maxLines lines and hands back the rest of the chunk, which reads on as if never cut', () => {
    const input = Buffer.from('a\nb\nc\nd\ne');
    for (const max of [1, 2, 3, 4, 10]) {
      const reader = new LineReader(4096);
      const lines: Line[] = [];
      let chunk: Buffer | undefined = input;
      let pending = 0;
      while (chunk) {
        const result = reader.push(chunk, max);
        assert.ok(result.lines.length <= max, `at most ${max}`);
        lines.push(...result.lines);
        chunk = result.rest;
        pending = result.pending;
      }
      assert.deepEqual(lines, ['a', 'b', 'c', 'd'].map(text), `maxLines ${max}`);
      assert.equal(pending, 1, 'the unfinished line is held as usual');
    }
    const exact = new LineReader(4096).push(Buffer.from('a\nb\n'), 2);
    assert.equal(exact.rest, undefined, 'nothing left: no rest');
  });
});
