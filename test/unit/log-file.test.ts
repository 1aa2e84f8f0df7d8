/** The daemon's log: rotated by size in real files, and the journal's format under systemd. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RotatingLogFile } from '../../daemon/log-file.js';
import { createLogger } from '../../daemon/log.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'streamd-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('RotatingLogFile', () => {
  it('rotates at its cap, whole lines only, keeping the newest files it is told to', () => {
    const file = path.join(dir, 'a.log');
    const log = new RotatingLogFile(file, 100, 2);
    for (let i = 0; i < 20; i++) log.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(22)}\n`); // 31 bytes: 3 to a file
    log.close();
    const read = (name: string): string[] =>
      readFileSync(name, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.slice(5, 7));
    assert.deepEqual(read(file), ['18', '19']);
    assert.deepEqual(read(`${file}.1`), ['15', '16', '17']);
    assert.deepEqual(read(`${file}.2`), ['12', '13', '14']);
    assert.equal(existsSync(`${file}.3`), false);
  });

  it('appends to what a previous run left, counting it against the cap', () => {
    const file = path.join(dir, 'b.log');
    new RotatingLogFile(file, 50, 1).write(`${'a'.repeat(39)}\n`);
    const again = new RotatingLogFile(file, 50, 1);
    again.write(`${'b'.repeat(19)}\n`);
    again.close();
    assert.equal(readFileSync(file, 'utf8'), `${'b'.repeat(19)}\n`);
    assert.equal(readFileSync(`${file}.1`, 'utf8'), `${'a'.repeat(39)}\n`);
  });

  it('a line longer than the cap goes in whole, alone', () => {
    const file = path.join(dir, 'c.log');
    const log = new RotatingLogFile(file, 10, 1);
    log.write('short\n');
    log.write(`${'y'.repeat(30)}\n`);
    log.close();
    assert.equal(readFileSync(file, 'utf8'), `${'y'.repeat(30)}\n`);
  });

  it('a file it cannot open loses lines, never throws', () => {
    const log = new RotatingLogFile(path.join(dir, 'no-such-dir', 'd.log'), 100, 1);
    assert.equal(log.write('lost\n'), false);
  });
});

describe('the log line', () => {
  it('has the time and the level, or under systemd the journal priority prefix and no time', () => {
    const lines: string[] = [];
    createLogger({ write: (text: string) => lines.push(text) }, 'debug').warn('disk full');
    createLogger({ write: (text: string) => lines.push(text) }, 'debug', 'journal').warn('disk full');
    createLogger({ write: (text: string) => lines.push(text) }, 'info', 'journal').debug('not shown');
    createLogger({ write: (text: string) => lines.push(text) }, 'info', 'journal').error('gone');
    assert.match(lines[0] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn {2}disk full\n$/);
    assert.deepEqual(lines.slice(1), ['<4>disk full\n', '<3>gone\n']);
  });
});
