/**
 * The worker thread of cover-render.ts: a picture (JPEG, PNG or WebP) made into a grid of
 * half-block cells by chafa (libchafa in WebAssembly), each cell its character and two colours.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { promisify } from 'node:util';

export interface RenderRequest {
  picture: Uint8Array;
  cols: number;
  rows: number;
}

/** A cell: its code point, and the foreground and background as 0xRRGGBB. */
export type Cell = [number, number, number];

const request = workerData as RenderRequest;
const Chafa = (await import('chafa-wasm')).default;
const chafa = await Chafa();
const toMatrix = promisify(chafa.imageToMatrix);
try {
  const bytes = request.picture.slice().buffer;
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
} catch (error) {
  parentPort?.postMessage({ error: String((error as Error)?.message ?? error) });
}
