/**
 * HTTP byte ranges (RFC 9110, section 14) as a media server answers them: one range is served
 * (206); a header it cannot read, or several ranges, is served whole (200), as the RFC allows; a
 * range wholly past the end is refused (416). Pure.
 *
 * @example byteRange('bytes=100-199', 1000) // { start: 100, end: 199 }
 * @example byteRange('bytes=-100', 1000)    // { start: 900, end: 999 }
 * @example byteRange('bytes=2000-', 1000)   // 'unsatisfiable'
 */

/** Inclusive byte offsets. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The range asked for by `header` in a resource of `size` bytes; undefined: serve it whole. */
export function byteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$/i.exec(header);
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last n bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined; // not a valid range: the RFC says to ignore the header
  return { start, end };
}
