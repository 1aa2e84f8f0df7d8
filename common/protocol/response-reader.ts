/**
 * Incremental response parsing, client side (docs/protocol.md, Commands and Downloads). Pure: bytes in,
 * events out. Block bytes are handed on as they arrive (slices of the input, not copies), so a
 * player can start decoding before a block is complete.
 *
 * A `block:` line switches the reader to raw mode for exactly the announced byte count; the next
 * line starts right after those bytes (docs/protocol.md, Downloads). A `binary:` field (a piece
 * of a picture, as MPD sends it) does the same, and its bytes are followed by one LF.
 */
import type { BlockHeader } from './response.js';
import type { ErrorCode } from './errors.js';

export type ResponseEvent =
  | { type: 'field'; key: string; value: string }
  | { type: 'ok'; text: string }
  | { type: 'err'; code: ErrorCode | string; message: string }
  | { type: 'track-start' }
  | { type: 'track-end' }
  | { type: 'block'; block: BlockHeader }
  | { type: 'block-data'; index: number; bytes: Buffer }
  | { type: 'block-end'; index: number }
  /** Bytes announced by a `binary: <n>` field (which came as a field first). */
  | { type: 'binary-data'; bytes: Buffer };

export interface ResponseReaderResult {
  events: ResponseEvent[];
  /** Bytes of an unfinished line held back for the next push. */
  pending: number;
}

/** The daemon broke the framing: the connection cannot be trusted any more. */
export class FramingError extends Error {
  override name = 'FramingError';
}

const LF = 0x0a;
/** What follows `block: ` (a download) and `stream_block: ` (a `stream` answer) alike. */
const BLOCK_VALUE = /^(\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+) ([0-9a-f]{64})$/;
/** Generous: a server line is a record field, far below this. */
export const MAX_RESPONSE_LINE_BYTES = 64 * 1024;
/** The most a `binary:` piece may announce: the daemon sends 64 KiB. */
export const MAX_BINARY_BYTES = 1024 * 1024;

export function parseBlockLine(line: string): BlockHeader | undefined {
  return line.startsWith('block: ') ? parseStreamBlockValue(line.slice('block: '.length)) : undefined;
}

/** The value of a `stream_block:` field: the same five parts as a `block:` line. */
export function parseStreamBlockValue(value: string): BlockHeader | undefined {
  const m = BLOCK_VALUE.exec(value);
  if (!m) return undefined;
  return {
    index: Number(m[1]),
    start: Number(m[2]),
    end: Number(m[3]),
    bytes: Number(m[4]),
    sha256: m[5] as string,
  };
}

/** Classifies one text line of a response. */
export function parseResponseLine(line: string): ResponseEvent {
  if (line === 'OK' || line.startsWith('OK ')) return { type: 'ok', text: line.slice(3) };
  if (line.startsWith('ERR ')) {
    const rest = line.slice(4);
    const space = rest.indexOf(' ');
    const code = space === -1 ? rest : rest.slice(0, space);
    const message = space === -1 ? '' : rest.slice(space + 1);
    return { type: 'err', code, message };
  }
  if (line === 'track data start') return { type: 'track-start' };
  if (line === 'track data end') return { type: 'track-end' };
  if (line.startsWith('block:')) {
    const block = parseBlockLine(line);
    if (!block) throw new FramingError(`malformed block line: ${line.slice(0, 120)}`);
    return { type: 'block', block };
  }
  const colon = line.indexOf(': ');
  if (colon <= 0) throw new FramingError(`unexpected line: ${line.slice(0, 120)}`);
  return { type: 'field', key: line.slice(0, colon), value: line.slice(colon + 2) };
}

export class ResponseReader {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** While inside a block: its index and the raw bytes still to come. */
  private rawIndex = -1;
  private rawLeft = 0;
  /** Inside a `binary:` piece rather than a block; then the LF after it is still to come. */
  private rawBinary = false;
  private lfAfterBinary = false;

  push(chunk: Buffer): ResponseReaderResult {
    const events: ResponseEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.lfAfterBinary) {
        if (chunk[at] !== LF) throw new FramingError('no line feed after a binary piece');
        this.lfAfterBinary = false;
        at++;
        continue;
      }
      if (this.rawLeft > 0) {
        const take = Math.min(this.rawLeft, chunk.length - at);
        const bytes = chunk.subarray(at, at + take);
        events.push(
          this.rawBinary ? { type: 'binary-data', bytes } : { type: 'block-data', index: this.rawIndex, bytes },
        );
        at += take;
        this.rawLeft -= take;
        if (this.rawLeft === 0) this.rawEnded(events);
        continue;
      }
      const newline = chunk.indexOf(LF, at);
      if (newline === -1) {
        this.hold(chunk.subarray(at));
        break;
      }
      const piece = chunk.subarray(at, newline);
      const bytes = this.heldBytes === 0 ? piece : Buffer.concat([...this.held, piece]);
      this.held = [];
      this.heldBytes = 0;
      at = newline + 1;
      let text = bytes.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      const event = parseResponseLine(text);
      events.push(event);
      if (event.type === 'block') {
        this.rawBinary = false;
        this.rawIndex = event.block.index;
        this.rawLeft = event.block.bytes;
        if (this.rawLeft === 0) this.rawEnded(events);
      } else if (event.type === 'field' && event.key === 'binary') {
        if (!/^\d{1,7}$/.test(event.value) || Number(event.value) > MAX_BINARY_BYTES)
          throw new FramingError(`a binary piece of '${event.value.slice(0, 20)}' bytes`);
        this.rawBinary = true;
        this.rawLeft = Number(event.value);
        if (this.rawLeft === 0) this.rawEnded(events);
      }
    }
    return { events, pending: this.heldBytes };
  }

  private rawEnded(events: ResponseEvent[]): void {
    if (this.rawBinary) this.lfAfterBinary = true;
    else events.push({ type: 'block-end', index: this.rawIndex });
  }

  private hold(rest: Buffer): void {
    this.held.push(rest);
    this.heldBytes += rest.length;
    if (this.heldBytes > MAX_RESPONSE_LINE_BYTES) {
      throw new FramingError(`response line longer than ${MAX_RESPONSE_LINE_BYTES} bytes`);
    }
  }
}
