/**
 * The worker thread of cover-render.ts: a picture (JPEG, PNG or WebP) made by chafa (libchafa in
 * WebAssembly) into a grid of half-block cells, each cell its character and two colours; or, for
 * a terminal that draws pictures (the kitty graphics protocol, sixels), into its drawing, at the
 * terminal's own pixels.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { promisify } from 'node:util';
import { coverImage, sixelImage, type CoverGraphics } from '../views/terminal-graphics.js';

export interface RenderRequest {
  picture: Uint8Array;
  cols: number;
  rows: number;
  graphics: CoverGraphics;
}

/** A cell: its code point, and the foreground and background as 0xRRGGBB. */
export type Cell = [number, number, number];

const request = workerData as RenderRequest;
const Chafa = (await import('chafa-wasm')).default;
const chafa = await Chafa();
try {
  const bytes = request.picture.slice().buffer;
  const { graphics } = request;
  if (graphics.kind !== 'cells') {
    const toAnsi = promisify(chafa.imageToAnsi);
    const modes = chafa.ChafaPixelMode;
    // libchafa draws 8 pixels a cell: asked for the room in such cells, it draws at the terminal's pixels.
    const { ansi } = await toAnsi(bytes, {
      format: (graphics.kind === 'kitty' ? modes.CHAFA_PIXEL_MODE_KITTY : modes.CHAFA_PIXEL_MODE_SIXELS).value,
      width: Math.max(1, Math.floor((request.cols * graphics.cellWidth) / 8)),
      height: Math.max(1, Math.floor((request.rows * graphics.cellHeight) / 8)),
      fontRatio: 1,
    });
    const image = (graphics.kind === 'kitty' ? coverImage : sixelImage)(ansi, graphics.cellWidth, graphics.cellHeight);
    parentPort?.postMessage(image ? { image } : { error: `libchafa gave no ${graphics.kind} drawing` });
  } else {
    const toMatrix = promisify(chafa.imageToMatrix);
    const { matrix } = await toMatrix(bytes, {
      width: request.cols,
      height: request.rows,
      // Cells twice as tall as wide: a square picture takes twice as many columns as rows.
      fontRatio: 0.5,
      symbols: 'vhalf',
      // Colours as 0xRRGGBB: blessed takes them to the terminal's palette (256 colours in most).
      colors: chafa.ChafaCanvasMode.CHAFA_CANVAS_MODE_TRUECOLOR.value,
    });
    parentPort?.postMessage({ matrix: matrix as Cell[][] });
  }
} catch (error) {
  parentPort?.postMessage({ error: String((error as Error)?.message ?? error) });
}
