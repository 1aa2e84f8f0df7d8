/** The screen's layout at every size from 80x24 to 250x70: inside the screen, no overlaps, a chart that can be drawn. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNSAFE_TEXT } from '../../common/protocol/response.js';
import { screenText, styled } from '../../tui/views/format.js';
import { computeLayout, type Rect } from '../../tui/views/layout.js';
import { MIN_CHART_ROWS } from '../../tui/views/loss-chart.js';

const overlap = (a: Rect, b: Rect): boolean =>
  a.height > 0 &&
  b.height > 0 &&
  a.left < b.left + b.width &&
  b.left < a.left + a.width &&
  a.top < b.top + b.height &&
  b.top < a.top + a.height;

describe('layout', () => {
  it('from 80x24 to 250x70, with and without the chart: every panel inside the screen, none on another', () => {
    for (let width = 80; width <= 250; width += 5) {
      for (let height = 24; height <= 70; height += 2) {
        for (const withChart of [false, true]) {
          const layout = computeLayout(width, height, withChart);
          const panels = {
            library: layout.library,
            queue: layout.queue,
            devices: layout.devices,
            network: layout.network,
            now: layout.now,
            status: layout.status,
          };
          const at = `${width}x${height}${withChart ? ' chart' : ''}`;
          for (const [name, rect] of Object.entries(panels)) {
            assert.ok(
              rect.left >= 0 && rect.top >= 0 && rect.left + rect.width <= width && rect.top + rect.height <= height,
              `${name} inside at ${at}`,
            );
          }
          const names = Object.keys(panels) as Array<keyof typeof panels>;
          for (const a of names)
            for (const b of names) if (a < b) assert.ok(!overlap(panels[a], panels[b]), `${a} and ${b} apart at ${at}`);
          assert.ok(layout.library.height >= 6, `the library keeps its rows at ${at}`);
          assert.ok(
            layout.queue.height >= 3 && layout.devices.height >= 3,
            `the queue and the devices each show a row at ${at}`,
          );
          assert.equal(layout.network.width, width, 'the network panel spans the width');
          const chart = layout.chart;
          if (withChart) {
            assert.ok(chart.height >= MIN_CHART_ROWS, `a chart that can be drawn at ${at}`);
            assert.ok(
              chart.top + chart.height <= layout.network.height - 1 && chart.width <= width - 2,
              `the chart inside its panel at ${at}`,
            );
          } else assert.equal(chart.height, 0);
        }
      }
    }
  });

  it('the chart grows with the terminal', () => {
    assert.ok(computeLayout(250, 70, true).chart.height > computeLayout(80, 24, true).chart.height * 2);
    assert.ok(computeLayout(250, 70, true).chart.width > computeLayout(80, 24, true).chart.width * 3);
  });
});

describe('styled text', () => {
  const table: Array<[Parameters<typeof styled>[0], number, string]> = [
    [[['streamd '], ['online', 'green-fg']], 20, 'streamd {green-fg}online{/green-fg}      '],
    [[['streamd '], ['online', 'green-fg']], 12, 'streamd {green-fg}onl…{/green-fg}'],
    [[['streamd '], ['online', 'green-fg']], 8, 'streamd…'],
    [[['a {b}'], ['c', 'red-fg']], 6, 'a {open}b{close}{red-fg}c{/red-fg}'],
    [[['x', 'bold']], 0, ''],
  ];
  for (const [spans, width, expected] of table) {
    it(`${JSON.stringify(spans)} in ${width} columns`, () => assert.equal(styled(spans, width), expected));
  }
  it('never cuts a tag in half, at any width', () => {
    for (let width = 0; width <= 40; width++) {
      const text = styled([['streamd  '], ['offline', 'red-fg'], ['  download 1.2 MiB/s']], width);
      assert.equal(
        (text.match(/\{red-fg\}/g) ?? []).length,
        (text.match(/\{\/red-fg\}/g) ?? []).length,
        `width ${width}: ${text}`,
      );
      assert.doesNotMatch(text, /\{[^}]*$/, `width ${width}: no open brace left`);
    }
  });
});

describe('text from outside on the screen', () => {
  // Whatever path it came by (a tag over TCP, the radio's metadata over UDP, a device's status from
  // an older daemon, a typed search), nothing in it may drive the terminal or reorder what is shown.
  const tricks: Array<[string, string]> = [
    ['a C1 CSI (U+009B)', 'Song \u009b2J\u009b31m'],
    ['OSC 52 in its C1 form', 'Song \u009d52;c;ZXZpbA==\u009c'],
    ['an ESC sequence', 'Song \x1b[2J\x1b]0;title\x07'],
    ['a bidi override (U+202E)', 'Song \u202eevil.mp3'],
    ['line breaks', 'Song\nforged line\r\u2028more'],
    ['blessed tags', 'Song {bold}{red-fg}'],
  ];
  for (const [what, text] of tricks) {
    it(`shows ${what} as plain text of the same width`, () => {
      const shown = screenText(text);
      assert.doesNotMatch(shown, UNSAFE_TEXT);
      assert.doesNotMatch(shown.replace(/\{open\}|\{close\}/g, ''), /[{}]/, 'no tag of its own');
      assert.equal([...shown.replace(/\{open\}/g, '{').replace(/\{close\}/g, '}')].length, [...text].length);
      assert.doesNotMatch(styled([[text, 'bold']], 60), UNSAFE_TEXT);
    });
  }
});
