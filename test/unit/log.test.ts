/** The daemon's log: one event, one line, whatever outside text the message holds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, oneLine } from '../../daemon/log.js';

describe('the log', () => {
  const table: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['HTTP/1.0 401\npassword refused for 203.0.113.77', 'HTTP/1.0 401\\npassword refused for 203.0.113.77'],
    ['a\r\nb\tc', 'a\\r\\nb\\tc'],
    ['C1 CSI \u009b2J, ESC \x1b[2J, NUL \0', 'C1 CSI \\u009b2J, ESC \\u001b[2J, NUL \\u0000'],
    ['a line separator \u2028 and a bidi override \u202e', 'a line separator \\u2028 and a bidi override \\u202e'],
    ['a backslash \\n that was typed', 'a backslash \\\\n that was typed'],
    ['Küche ✓ 日本', 'Küche ✓ 日本'],
  ];
  for (const [message, written] of table)
    it(`writes ${JSON.stringify(message)} as one line`, () => assert.equal(oneLine(message), written));

  it('every level, in both formats, writes one line an event', () => {
    for (const format of ['plain', 'journal'] as const) {
      const lines: string[] = [];
      const log = createLogger({ write: (text: string) => lines.push(text) }, 'debug', format);
      log.warn('icecast x: answered HTTP/1.0 401\npassword refused for 203.0.113.77 port 1');
      log.error('Error: boom\n    at somewhere (file.js:1:1)');
      assert.equal(lines.join('').split('\n').length - 1, 2, format);
      assert.ok(
        !lines
          .join('')
          .split('\n')
          .some((line) => /^\S+ warn {2}password refused for/.test(line)),
        'no forged line',
      );
    }
  });
});
