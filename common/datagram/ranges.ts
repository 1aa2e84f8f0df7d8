/**
 * Sequence-number ranges as `resend` takes them (docs/protocol.md, UDP: `5-9,12`). Pure.
 */

/** Inclusive [first, last] pairs. */
export type SequenceRange = [number, number];

export class RangeSyntaxError extends Error {
  override name = 'RangeSyntaxError';
}

/**
 * @example parseRanges('5-9,12', 100) // [[5, 9], [12, 12]]
 * @throws RangeSyntaxError for bad syntax, a reversed range or a number >= `count`.
 */
export function parseRanges(text: string, count: number): SequenceRange[] {
  const ranges: SequenceRange[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(part);
    if (!m) throw new RangeSyntaxError(`'${part.slice(0, 24)}' is not a number or a range like 5-9`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > last) throw new RangeSyntaxError(`range ${first}-${last} is reversed`);
    if (last >= count) throw new RangeSyntaxError(`sequence ${last} is past the stream's last packet (${count - 1})`);
    ranges.push([first, last]);
  }
  return ranges;
}

/**
 * Sorted distinct sequence numbers as ranges text, cut into pieces of at most `maxChars` each (a
 * command line is bounded).
 *
 * @example formatRanges([1, 2, 3, 7]) // ['1-3,7']
 */
export function formatRanges(sequences: readonly number[], maxChars = 3000): string[] {
  const pieces: string[] = [];
  let current = '';
  for (let i = 0; i < sequences.length;) {
    let j = i;
    while (j + 1 < sequences.length && (sequences[j + 1] as number) === (sequences[j] as number) + 1) j++;
    const part = i === j ? `${sequences[i]}` : `${sequences[i]}-${sequences[j]}`;
    if (current && current.length + 1 + part.length > maxChars) {
      pieces.push(current);
      current = '';
    }
    current = current ? `${current},${part}` : part;
    i = j + 1;
  }
  if (current) pieces.push(current);
  return pieces;
}
