/**
 * Argument splitting and quoting (docs/protocol.md, Commands): arguments are separated by spaces; an
 * argument with spaces is written in double quotes, with `\"` and `\\` as escapes.
 */
import { ProtocolError } from './errors.js';

/** One argument and where it stood in the line (so a command can take "the rest of the line"). */
export interface Token {
  value: string;
  start: number;
  end: number;
}

const SPACE = ' ';
const TAB = '\t';

function isSeparator(ch: string | undefined): boolean {
  return ch === SPACE || ch === TAB;
}

/**
 * Splits a line into arguments.
 *
 * @example tokenize('download "Daft Punk - One.mp3" 1') // values: download, Daft Punk - One.mp3, 1
 * @throws ProtocolError bad_request on an unterminated quote or text glued to a closing quote.
 */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (isSeparator(line[i])) i++;
    if (i >= line.length) break;
    const start = i;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new ProtocolError('bad_request', 'unterminated quoted argument');
        const ch = line[i] as string;
        if (ch === '\\') {
          if (i + 1 >= line.length) throw new ProtocolError('bad_request', 'unterminated quoted argument');
          value += line[i + 1];
          i += 2;
        } else if (ch === '"') {
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      if (i < line.length && !isSeparator(line[i])) {
        throw new ProtocolError('bad_request', 'a closing quote must be followed by a space');
      }
      tokens.push({ value, start, end: i });
    } else {
      while (i < line.length && !isSeparator(line[i])) i++;
      tokens.push({ value: line.slice(start, i), start, end: i });
    }
  }
  return tokens;
}

const NEEDS_QUOTES = /[\s"\\]/;

/**
 * Writes one argument so that `tokenize` reads it back unchanged.
 *
 * @example quoteArg('One More Time.mp3') // '"One More Time.mp3"'
 */
export function quoteArg(value: string): string {
  if (/[\r\n]/.test(value)) throw new RangeError('an argument cannot contain a line break');
  if (value.length > 0 && !NEEDS_QUOTES.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * The one way to build a command line: name, then each argument quoted as needed, then LF.
 *
 * @example formatCommand('download', 'a b.mp3', '2') // 'download "a b.mp3" 2\n'
 */
export function formatCommand(name: string, ...args: Array<string | number>): string {
  return [name, ...args.map((arg) => quoteArg(String(arg)))].join(' ') + '\n';
}
