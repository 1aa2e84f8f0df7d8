/**
 * Where each panel goes for a terminal of a given size: pure, so that every size from 80x24 to
 * 250x70 can be checked for overlaps without a terminal. The library has the top left; the queue
 * and, under it, the devices share the column on the right; the network panel (figures, and the loss chart when there is one) spans the full width
 * under them and grows with the terminal; now playing and the status line are at the bottom.
 */
import { MIN_CHART_ROWS } from './loss-chart.js';

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Layout {
  library: Rect;
  queue: Rect;
  devices: Rect;
  network: Rect;
  now: Rect;
  status: Rect;
  /** Inside the network panel: rows of figures, then the chart (height 0: no chart). */
  figureRows: number;
  chart: Rect;
}

export const NOW_ROWS = 5;
/** Rows of figures in the network panel: the link, then (with datagrams) the loss. */
const FIGURE_ROWS_PLAIN = 1;
const FIGURE_ROWS_UDP = 2;
/** The library keeps at least this many rows (its border included) whatever the chart wants. */
const MIN_LIBRARY_ROWS = 6;

/**
 * The cover's room in the now-playing area for a terminal of a given size: rows by the height,
 * twice as many columns (a cell is about twice as tall as wide), never more than a fifth of the width.
 */
export function coverSize(width: number, height: number): { cols: number; rows: number } {
  const rows = Math.min(height >= 44 ? 8 : height >= 34 ? 6 : 4, Math.floor(width / 10));
  return { cols: rows * 2, rows };
}

/** `coverRows`: the rows of the cover shown in the now-playing area (0: none, and the area keeps its height). */
export function computeLayout(width: number, height: number, withChart: boolean, coverRows = 0): Layout {
  const side = width >= 200 ? 56 : width >= 110 ? 44 : width >= 90 ? 36 : 30;
  const nowRows = Math.max(NOW_ROWS, coverRows + 2);
  const middle = Math.max(0, height - nowRows - 1);
  const figureRows = withChart ? FIGURE_ROWS_UDP : FIGURE_ROWS_PLAIN;
  // The chart takes about 40% of the middle, at least enough to draw, never the library's share.
  const wantedChart = withChart ? Math.max(MIN_CHART_ROWS, Math.floor(middle * 0.4) - figureRows - 2) : 0;
  const chartRows = Math.max(0, Math.min(wantedChart, middle - MIN_LIBRARY_ROWS - figureRows - 2));
  const networkRows = Math.min(middle, figureRows + (chartRows >= MIN_CHART_ROWS ? chartRows : 0) + 2);
  const topRows = middle - networkRows;
  // The queue takes most of the right column; the devices keep at least a few rows (border included).
  const devicesRows = topRows >= 12 ? Math.max(5, Math.floor(topRows * 0.4)) : Math.floor(topRows / 2);
  const queueRows = topRows - devicesRows;
  const chart =
    chartRows >= MIN_CHART_ROWS
      ? { left: 1, top: 1 + figureRows, width: width - 2, height: chartRows }
      : { left: 1, top: 1 + figureRows, width: width - 2, height: 0 };
  return {
    library: { left: 0, top: 0, width: width - side, height: topRows },
    queue: { left: width - side, top: 0, width: side, height: queueRows },
    devices: { left: width - side, top: queueRows, width: side, height: devicesRows },
    network: { left: 0, top: topRows, width, height: networkRows },
    now: { left: 0, top: middle, width, height: nowRows },
    status: { left: 0, top: height - 1, width, height: 1 },
    figureRows,
    chart,
  };
}
