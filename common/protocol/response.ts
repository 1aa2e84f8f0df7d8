/**
 * Response encoding, server side (PROTOCOL.md sections 1 and 2): `key: value` lines, then `OK`;
 * or exactly one `ERR <code> <message>` line; downloads framed by `track data start`, `block:`
 * lines each followed by raw bytes, and `track data end`.
 */
import type { ErrorCode } from './errors.js';

export type Field = readonly [key: string, value: string | number];

/** Values come from file tags and clients: a line break in one would break the framing. */
export function sanitizeValue(value: string): string {
  return value.replace(/[\x00-\x1f\x7f]/g, ' ');
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
  return shown.replace(/[\x00-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
