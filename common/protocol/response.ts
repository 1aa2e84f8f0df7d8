/**
 * Response encoding, server side (docs/protocol.md, Commands and Downloads): `key: value` lines, then `OK`;
 * or exactly one `ERR <code> <message>` line; downloads framed by `track data start`, `block:`
 * lines each followed by raw bytes, and `track data end`.
 */
import type { ErrorCode } from './errors.js';

export type Field = readonly [key: string, value: string | number];

/**
 * Characters no value may carry to another client's screen: C0 and C1 controls (a C1 CSI,
 * U+009B, starts a terminal escape like ESC [), line and paragraph separators (U+2028, U+2029),
 * and bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder what is shown.
 */
export const UNSAFE_TEXT = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_TEXT_ALL = new RegExp(UNSAFE_TEXT.source, 'g');

/** Values come from file tags and clients: a line break in one would break the framing, a control the screen. */
export function sanitizeValue(value: string): string {
  return value.replace(UNSAFE_TEXT_ALL, ' ');
}

export function encodeFields(fields: readonly Field[]): string {
  let out = '';
  for (const [key, value] of fields) out += `${key}: ${sanitizeValue(String(value))}\n`;
  return out;
}

export function okLine(text?: string): string {
  return text ? `OK ${sanitizeValue(text)}\n` : 'OK\n';
}

export function errLine(code: ErrorCode, message: string): string {
  return `ERR ${code} ${sanitizeValue(message)}\n`;
}

export const TRACK_START = 'track data start\n';
export const TRACK_END = 'track data end\n';

/** What a `block:` line announces; exactly `bytes` raw bytes follow it. */
export interface BlockHeader {
  index: number;
  start: number;
  end: number;
  bytes: number;
  sha256: string;
}

export function blockLine(block: BlockHeader): string {
  return `block: ${blockValue(block)}\n`;
}

/**
 * The five parts of a `block:` line, also the value of a `stream` answer's `stream_block:` field
 * (named apart so that readers of downloads do not take it as raw bytes to follow).
 */
export function blockValue(block: BlockHeader): string {
  return `${block.index} ${block.start.toFixed(3)} ${block.end.toFixed(3)} ${block.bytes} ${block.sha256}`;
}

/** Shows a client-supplied word in an error message without echoing control bytes. */
export function printable(word: string, max = 64): string {
  const shown = word.length > max ? `${word.slice(0, max)}...` : word;
  return shown.replace(UNSAFE_TEXT_ALL, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
