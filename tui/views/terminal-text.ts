/**
 * blessed (0.1.81, its last release) measures text with Unicode tables of 2013 and counts UTF-16
 * units when it wraps: an emoji takes one cell in its buffer and two on the terminal, a
 * decomposed é one unit too many, and a row with either overflows onto the next. Here blessed is
 * given the widths of text-width.ts, the same the views cut and pad with, and the panels' lines,
 * already fitted by the views, are never wrapped again.
 */
import blessed from 'blessed';
import { charWidth } from './text-width.js';

/** The parts of blessed's `unicode` module that its elements and screen draw with. */
interface BlessedUnicode {
  charWidth(text: string | number, index?: number): number;
  codePointAt(text: string, index: number): number;
  combining: Record<number, boolean>;
  chars: { all: RegExp; wide: RegExp };
}

let taught = false;

/** The code points of planes 0 to 3 (above Latin) that take no column, and those that take two, as ranges. */
function rangesByWidth(): { none: Array<[number, number]>; two: Array<[number, number]> } {
  const none: Array<[number, number]> = [];
  const two: Array<[number, number]> = [];
  let start = 0x300;
  let columns = charWidth(start);
  for (let point = 0x301; point <= 0x40000; point++) {
    const width = point < 0x40000 ? charWidth(point) : -1;
    if (width === columns) continue;
    if (columns === 0) none.push([start, point - 1]);
    else if (columns === 2) two.push([start, point - 1]);
    start = point;
    columns = width as 0 | 1 | 2;
  }
  return { none, two };
}

const characterClass = (ranges: Array<[number, number]>): string =>
  `[${ranges.map(([from, to]) => `\\u{${from.toString(16)}}-\\u{${to.toString(16)}}`).join('')}]`;

/**
 * Teaches blessed the widths of text-width.ts: its screen leaves the cell after a wide character
 * empty, its content parser marks that cell (after every wide character, emoji included), and it
 * draws combining marks over the cell before them. Once per process; blessed's tables are global.
 */
export function teachBlessedWidths(): void {
  if (taught) return;
  taught = true;
  const unicode = (blessed as unknown as { unicode: BlessedUnicode }).unicode;
  unicode.charWidth = (text, index = 0) =>
    charWidth(typeof text === 'number' ? text : unicode.codePointAt(text, index));
  const { none, two } = rangesByWidth();
  const wide = new RegExp(`(${characterClass(two)})`, 'gu');
  unicode.chars.all = wide;
  unicode.chars.wide = wide;
  for (const [from, to] of none) for (let point = from; point <= to; point++) unicode.combining[point] = true;
}

/** The lines blessed's `_wrapContent` returns, with the bookkeeping its scrolling reads. */
type WrappedLines = string[] & { rtof: number[]; ftor: number[][]; fake: string[]; real: string[]; mwidth: number };

/**
 * Makes `element` show its content's lines as they are: the views fit every line to the panel, and
 * blessed, which counts UTF-16 units, would wrap a fitted line with an emoji or a mark in it.
 */
export function unwrapped<T extends blessed.Widgets.BlessedElement>(element: T): T {
  const target = element as unknown as { _wrapContent: (content: string, width: number) => WrappedLines };
  target._wrapContent = (content: string) => {
    const lines = content.split('\n');
    const out = lines.slice() as WrappedLines;
    out.rtof = lines.map((_, index) => index);
    out.ftor = lines.map((_, index) => [index]);
    out.fake = lines;
    out.real = out;
    out.mwidth = Math.max(0, ...lines.map((line) => line.length));
    return out;
  };
  return element;
}
