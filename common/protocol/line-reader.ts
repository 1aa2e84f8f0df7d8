/**
 * Incremental command-line framing for the server side (docs/protocol.md, Commands): LF-terminated
 * UTF-8 lines, CR LF accepted, at most `maxLineBytes` bytes each. Pure: bytes in, lines out.
 *
 * The bytes of an unfinished line are held in the chunks they came in and never grow past the
 * limit: the reader reports the overflow as soon as it is certain, not when a newline arrives.
 */

/** One complete line: its text, or why it could not be decoded. */
export type Line = { ok: true; text: string } | { ok: false; reason: 'invalid_utf8' };

export interface LineReaderResult {
  lines: Line[];
  /** Set when the current line exceeded the limit; the reader must not be used again. */
  overflow: boolean;
  /** Bytes of an unfinished line held back for the next push. */
  pending: number;
  /** When `maxLines` lines were taken before the chunk's end: the bytes not read yet, to push again later. */
  rest?: Buffer;
}

const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeLine(bytes: Buffer): Line {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  try {
    return { ok: true, text: utf8.decode(bytes.subarray(0, end)) };
  } catch {
    return { ok: false, reason: 'invalid_utf8' };
  }
}

function contentLength(bytes: Buffer): number {
  return bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
}

export class LineReader {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private overflowed = false;

  constructor(private readonly maxLineBytes: number) {}

  /**
   * Frames the lines of `chunk`, at most `maxLines` of them: a caller with no room left takes the
   * rest later, so that one chunk of 64 KiB of short lines does not become 30,000 queued lines.
   */
  push(chunk: Buffer, maxLines = Infinity): LineReaderResult {
    const lines: Line[] = [];
    if (this.overflowed) return { lines, overflow: true, pending: this.heldBytes };
    let from = 0;
    for (;;) {
      if (lines.length >= maxLines) {
        if (from < chunk.length) return { lines, overflow: false, pending: this.heldBytes, rest: chunk.subarray(from) };
        break;
      }
      const newline = chunk.indexOf(LF, from);
      if (newline === -1) break;
      const piece = chunk.subarray(from, newline);
      const bytes = this.heldBytes === 0 ? piece : Buffer.concat([...this.held, piece]);
      this.held = [];
      this.heldBytes = 0;
      from = newline + 1;
      if (contentLength(bytes) > this.maxLineBytes) return this.overflow(lines);
      lines.push(decodeLine(bytes));
    }
    if (from < chunk.length) {
      const rest = chunk.subarray(from);
      this.held.push(rest);
      this.heldBytes += rest.length;
      // One more byte than the limit may still be the CR of a CR LF.
      if (this.heldBytes > this.maxLineBytes + 1) return this.overflow(lines);
    }
    return { lines, overflow: false, pending: this.heldBytes };
  }

  private overflow(lines: Line[]): LineReaderResult {
    this.overflowed = true;
    this.held = [];
    this.heldBytes = 0;
    return { lines, overflow: true, pending: 0 };
  }
}
