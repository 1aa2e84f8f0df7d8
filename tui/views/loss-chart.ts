/**
 * The packet-loss chart: a blessed-contrib line chart of loss per second over the last minute.
 * Only the line widget is loaded (the package's index pulls in every widget and the world map).
 * Its drawing surface is sized once, when it is attached, so a new size means a new chart.
 */
import { createRequire } from 'node:module';
import type blessed from 'blessed';

interface LineSeries {
  title: string;
  x: string[];
  y: number[];
  style?: { line: string };
}

interface LineChart extends blessed.Widgets.BoxElement {
  options: { maxY?: number };
  setData(series: LineSeries[]): void;
}

type LineFactory = (options: Record<string, unknown>) => LineChart;
/** Loaded the first time a chart is shown (a radio, songs over UDP) or a call rings: ~1 MiB of heap that a player of TCP songs never needs. */
let lineFactory: LineFactory | undefined;

/**
 * The chart's module loaded now, ahead of the chart: loading it holds the event loop up 60-110 ms
 * here, which a call's short voice stream, once playing, hears as a gap (music's second of
 * buffering does not).
 */
export function loadLineChart(): LineFactory {
  return (lineFactory ??= createRequire(import.meta.url)('blessed-contrib/lib/widget/charts/line.js') as LineFactory);
}

const line = (options: Record<string, unknown>): LineChart => loadLineChart()(options);

const SECONDS = 60;
const LABELS = Array.from({ length: SECONDS }, (_, i) => `-${SECONDS - i}s`);

export interface LossChart {
  /** Places the chart; hidden when there is nothing to show or no room to draw. */
  layout(top: number, width: number, height: number, visible: boolean): void;
  /** Loss in % per second, oldest first; fewer than 60 are padded with zeros on the left. */
  show(history: readonly number[], label: string): void;
}

/** Rows below which the canvas has no room for its axes and a line. */
export const MIN_CHART_ROWS = 6;

export function createLossChart(parent: blessed.Widgets.BoxElement): LossChart {
  let element: LineChart | undefined;
  let size = '';

  function make(top: number, width: number, height: number): LineChart {
    const chart = line({
      top,
      left: 1, // positions count from the parent's outer edge (autoPadding is off): inside its border
      width,
      height,
      label: ' loss ',
      showLegend: false,
      minY: 0,
      maxY: 10,
      numYLabels: 2,
      showNthLabel: 15,
      xPadding: 4,
      xLabelPadding: 3,
      wholeNumbersOnly: true,
      style: { line: 'red', text: 'white', baseline: 'cyan' },
    });
    // Appended after it is made: the canvas makes its drawing context on 'attach'.
    parent.append(chart);
    return chart;
  }

  return {
    layout(top, width, height, visible) {
      const wanted = `${top}x${width}x${height}`;
      if (visible && height >= MIN_CHART_ROWS && wanted !== size) {
        element?.destroy();
        element = make(top, width, height);
        size = wanted;
      }
      if (element) element.hidden = !visible || height < MIN_CHART_ROWS;
    },
    show(history, label) {
      if (!element || element.hidden) return;
      const y = [...Array.from({ length: Math.max(0, SECONDS - history.length) }, () => 0), ...history.slice(-SECONDS)];
      // The scale grows with the worst second, in steps of 10%, so that the line stays readable.
      element.options.maxY = Math.max(10, Math.ceil(Math.max(...y) / 10) * 10);
      element.setLabel(label);
      element.setData([{ title: 'loss', x: LABELS, y, style: { line: 'red' } }]);
    },
  };
}
