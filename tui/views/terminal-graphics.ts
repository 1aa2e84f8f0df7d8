/**
 * What the terminal can show a cover as, from its answers to three questions asked before the
 * screen starts (app/terminal-probe.ts): the kitty graphics protocol's query (a terminal that has
 * it answers OK), the size of a cell in pixels (XTWINOPS 16), and the primary device attributes
 * (DA1), which every terminal answers, last: its answer ends the wait. Kitty's protocol draws the
 * picture itself; a terminal whose DA1 has sixel graphics (4) and which says its cell size gets
 * the picture in sixels (their pixels are the terminal's, so the size must be known); any other,
 * half blocks. Pure.
 *
 * @example graphicsOf('\x1b_Gi=31;OK\x1b\\\x1b[6;16;8t\x1b[?62;22c') // { kind: 'kitty', cellWidth: 8, cellHeight: 16 }
 */

import type { CoverImage } from '../state/model.js';

export interface CoverGraphics {
  kind: 'cells' | 'kitty' | 'sixel';
  /** A cell's size in pixels, as the terminal says it (8 by 16 when it does not). */
  cellWidth: number;
  cellHeight: number;
}

export const HALF_BLOCKS: CoverGraphics = { kind: 'cells', cellWidth: 8, cellHeight: 16 };

/** The image id the kitty query asks about (any; the answer names it). */
const QUERY_ID = 31;

export const GRAPHICS_QUESTIONS = `\x1b_Gi=${QUERY_ID},s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[16t\x1b[c`;

/** Whether the answers are all in: DA1's has come (the others come before it, or never). */
export const answersComplete = (text: string): boolean => /\x1b\[\?[\d;]*c/.test(text);

export function graphicsOf(answers: string): CoverGraphics {
  const kitty = new RegExp(`\\x1b_Gi=${QUERY_ID};OK\\x1b\\\\`).test(answers);
  const [, height, width] = /\x1b\[6;(\d{1,4});(\d{1,4})t/.exec(answers) ?? [];
  const cellWidth = Number(width);
  const cellHeight = Number(height);
  const sized = cellWidth >= 2 && cellHeight >= 2;
  const attributes = /\x1b\[\?([\d;]*)c/.exec(answers)?.[1]?.split(';') ?? [];
  const sixel = sized && attributes.includes('4');
  return {
    kind: kitty ? 'kitty' : sixel ? 'sixel' : 'cells',
    cellWidth: sized ? cellWidth : HALF_BLOCKS.cellWidth,
    cellHeight: sized ? cellHeight : HALF_BLOCKS.cellHeight,
  };
}

/** The kitty image id the cover is drawn as: one cover at a time, each drawing replacing the last. */
export const COVER_IMAGE_ID = 4207;

/** Deletes the cover's image and its placement (kitty's protocol), quietly. */
export const DELETE_COVER = `\x1b_Ga=d,d=I,i=${COVER_IMAGE_ID},q=2\x1b\\`;

/**
 * libchafa's kitty drawing (pixels at 8 a cell) made the cover's: its id, no answer asked for
 * (an answer would come in as keys), the cursor left where it was, and scaled to the cells it
 * covers at the terminal's cell size. Undefined when it is not a kitty drawing.
 */
export function coverImage(chafaKitty: string, cellWidth: number, cellHeight: number): CoverImage | undefined {
  const first = /^\x1b_Ga=T,([^;\x1b]*)/.exec(chafaKitty);
  if (!first) return undefined;
  const keys = new Map((first[1] as string).split(',').map((pair) => pair.split('=') as [string, string]));
  const width = Number(keys.get('s'));
  const height = Number(keys.get('v'));
  if (!(width > 0 && height > 0)) return undefined;
  const cols = Math.max(1, Math.ceil(width / cellWidth));
  const rows = Math.max(1, Math.ceil(height / cellHeight));
  keys.delete('c');
  keys.delete('r');
  const control = [...keys].map(([key, value]) => `${key}=${value}`).join(',');
  const escape = `\x1b_Ga=T,i=${COVER_IMAGE_ID},q=2,C=1,c=${cols},r=${rows},${control}${chafaKitty.slice(first[0].length)}`;
  return { kind: 'kitty', escape, cols, rows };
}

/** libchafa's sixel drawing, and the cells its pixels cover (from its raster attributes); undefined when it is none. */
export function sixelImage(chafaSixel: string, cellWidth: number, cellHeight: number): CoverImage | undefined {
  const [, width, height] = /^\x1bP[\d;]*q"\d+;\d+;(\d+);(\d+)/.exec(chafaSixel) ?? [];
  if (!(Number(width) > 0 && Number(height) > 0)) return undefined;
  return {
    kind: 'sixel',
    escape: chafaSixel,
    cols: Math.ceil(Number(width) / cellWidth),
    rows: Math.ceil(Number(height) / cellHeight),
  };
}

/** Sixel pixels go only when their cells are written: `rows` rows of `cols` blanks from (top, left), 0-based, erased. */
export function eraseCells(top: number, left: number, cols: number, rows: number): string {
  let out = '';
  for (let row = 0; row < rows; row++) out += `\x1b[${top + row + 1};${left + 1}H\x1b[${cols}X`;
  return out;
}
