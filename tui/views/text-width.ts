/**
 * How many terminal columns text takes: East Asian wide and fullwidth characters (kana, kanji,
 * hangul, most emoji) two, combining marks and format characters none, the rest one. Every place a
 * view cuts or pads text measures it here, and blessed is taught the same (terminal-text.ts), so
 * that a row of Japanese fills its row and no more. Pure.
 */
import { eastAsianWidth } from 'get-east-asian-width';

/** Marks drawn over the character before them, and the invisible joiners and selectors. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/** Columns one code point takes; ambiguous characters (●, ◐, ▶) are narrow, as most terminals draw them. */
export function charWidth(codePoint: number): 0 | 1 | 2 {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return 0;
  if (codePoint < 0x300) return 1; // Latin-1 and Latin Extended: the common case, without a lookup
  if (ZERO_WIDTH.test(String.fromCodePoint(codePoint))) return 0;
  return eastAsianWidth(codePoint);
}

/** Columns `text` takes. @example displayWidth('東京 rain') // 9 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0) as number);
  return width;
}

/**
 * Cuts or pads `text` to exactly `width` columns (… marks a cut). A cut keeps whole code points,
 * a prefix of `text`; a wide character that would straddle the edge gives way to a space.
 *
 * @example fit('東京の雨', 6) // '東京… '
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const full = displayWidth(text);
  if (full <= width) return text + ' '.repeat(width - full);
  let kept = '';
  let used = 0;
  for (const ch of text) {
    const columns = charWidth(ch.codePointAt(0) as number);
    if (used + columns > width - 1) break;
    kept += ch;
    used += columns;
  }
  return kept + '…' + ' '.repeat(width - 1 - used);
}
