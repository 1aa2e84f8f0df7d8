/**
 * A picture made into half-block cells, or a kitty drawing (cover-render-worker.ts), in a worker thread of its own,
 * which ends with the render: libchafa and the picture's pixels are the worker's, so the player
 * keeps none of that memory between songs, and a large picture never holds up the event loop.
 */
import { Worker } from 'node:worker_threads';
import type { CoverImage } from '../state/model.js';
import type { CoverGraphics } from '../views/terminal-graphics.js';
import type { Cell, RenderRequest } from './cover-render-worker.js';

export type { Cell };

/** What a cover is drawn as: half-block cells, or a picture the terminal draws over blank cells of its room. */
export type CoverDrawing = { matrix: Cell[][] } | { image: CoverImage };

/** A render that takes longer than this (a picture made to be slow) is given up. */
const RENDER_MS = 10_000;

/** @throws Error when the picture cannot be read (not JPEG, PNG or WebP; broken) or takes too long. */
export async function renderCover(
  picture: Uint8Array,
  cols: number,
  rows: number,
  graphics: CoverGraphics,
): Promise<CoverDrawing> {
  const request: RenderRequest = { picture, cols, rows, graphics };
  const worker = new Worker(new URL('./cover-render-worker.js', import.meta.url), { workerData: request });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<CoverDrawing>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the picture took over ${RENDER_MS / 1000} s to draw`)), RENDER_MS);
      worker.once('message', (message: Partial<CoverDrawing> & { error?: string }) => {
        if ('matrix' in message && message.matrix) resolve({ matrix: message.matrix });
        else if ('image' in message && message.image) resolve({ image: message.image });
        else reject(new Error(`the picture cannot be drawn: ${message.error ?? 'unknown'}`));
      });
      worker.once('error', reject);
      worker.once('exit', () => reject(new Error('the picture cannot be drawn')));
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}
