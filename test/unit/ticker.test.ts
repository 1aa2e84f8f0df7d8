/** The player's ticker: it wakes when the clock on screen will change, not on a fixed beat. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { msToNextChange, Ticker, TICK_MAX_MS, type MovingSong } from '../../tui/timing/ticker.js';

describe('msToNextChange', () => {
  const cases: Array<[string, MovingSong | undefined, number]> = [
    ['nothing moving: the rate figures once a second', undefined, TICK_MAX_MS],
    ['just past a second: the next whole second', { position: 10.25, duration: 200 }, 752],
    ['right on a second: a whole second on', { position: 10, duration: 200 }, 1000],
    ['just before a second: soon, not in a tight loop', { position: 10.999, duration: 200 }, 20],
    ['the end comes first', { position: 199.6, duration: 199.9 }, 302],
    ['past the end (a gapless join not seen yet): the next second', { position: 200.5, duration: 200 }, 502],
    ['a lyric line before the next second', { position: 10.25, duration: 200, cues: [3, 10.5, 12] }, 252],
    ['the next second before the next line', { position: 10.6, duration: 200, cues: [3, 10.5, 12] }, 402],
    ['no line ahead', { position: 12.25, duration: 200, cues: [3, 10.5, 12] }, 752],
  ];
  for (const [what, song, ms] of cases) {
    it(what, () => {
      assert.equal(Math.round(msToNextChange(song)), ms);
    });
  }
});

describe('Ticker', () => {
  it('runs its jobs when the song reaches its next second, each at its own period', async () => {
    const started = performance.now();
    // A song at 0.7 s when the ticker starts, moving in real time.
    const position = (): number => 0.7 + (performance.now() - started) / 1000;
    const everyTick: number[] = [];
    const slow: number[] = [];
    const ticker = new Ticker(
      () => ({ position: position(), duration: 100 }),
      [
        { everyMs: 0, run: () => everyTick.push(position()) },
        { everyMs: 1500, run: () => slow.push(position()) },
      ],
    );
    ticker.start();
    await sleep(2650);
    ticker.stop();
    // Ticks at 1.0, 2.0 and 3.0 s of the song, each just past the edge.
    assert.equal(everyTick.length, 3, `ticks at ${everyTick.map((p) => p.toFixed(3)).join(', ')}`);
    everyTick.forEach((at, i) =>
      assert.ok(at >= i + 1 && at < i + 1.25, `tick ${i} at ${at.toFixed(3)} s of the song`),
    );
    assert.equal(slow.length, 1, 'the 1.5 s job once, at the tick after 1.5 s had passed');
    await sleep(1100);
    assert.equal(everyTick.length, 3, 'stopped: no more ticks');
  });

  it('is timed again from a new position (a seek)', async () => {
    let origin = 5.0;
    let since = performance.now();
    const position = (): number => origin + (performance.now() - since) / 1000;
    const ticks: number[] = [];
    const ticker = new Ticker(
      () => ({ position: position(), duration: 100 }),
      [{ everyMs: 0, run: () => ticks.push(position()) }],
    );
    ticker.start(); // next at 6.0, 1 s away
    await sleep(300);
    origin = 40.6; // a seek
    since = performance.now();
    ticker.retime(); // next at 41.0, 400 ms away; the old timing would have ticked 700 ms after start
    await sleep(600);
    ticker.stop();
    assert.equal(ticks.length, 1);
    assert.ok((ticks[0] as number) >= 41 && (ticks[0] as number) < 41.25, `the tick at ${ticks[0]} s, just past 41`);
  });

  it('sleeps with nothing moving and nothing to do, and wakes when told', async () => {
    let busy = false;
    const ticks: number[] = [];
    const started = performance.now();
    const ticker = new Ticker(
      () => undefined,
      [{ everyMs: 0, run: () => ticks.push(performance.now() - started) }],
      () => busy,
    );
    ticker.start();
    assert.equal(ticker.awake, false, 'stopped, no work: no timer at all');
    await sleep(1100);
    assert.equal(ticks.length, 0);
    busy = true; // a download starts
    ticker.wake();
    assert.equal(ticker.awake, true);
    await sleep(1100);
    assert.equal(ticks.length, 1, 'a tick a second while busy');
    busy = false; // the last tick of the download shows its rate fall to 0, then sleep
    await sleep(1100);
    assert.equal(ticks.length, 2);
    assert.equal(ticker.awake, false);
    await sleep(1100);
    assert.equal(ticks.length, 2, 'asleep again');
    ticker.stop();
  });

  it("takes a job's period from the wake-up, not from before the sleep", async () => {
    let busy = false;
    const elapsed: number[] = [];
    const ticker = new Ticker(
      () => undefined,
      [{ everyMs: 900, run: (ms) => elapsed.push(ms) }],
      () => busy,
    );
    ticker.start();
    await sleep(600);
    busy = true;
    ticker.wake();
    await sleep(1100);
    ticker.stop();
    assert.equal(elapsed.length, 1);
    assert.ok(
      (elapsed[0] as number) >= 990 && (elapsed[0] as number) < 1300,
      `a rate over ${elapsed[0]} ms, the time awake (not 1.6 s)`,
    );
  });

  it('is not woken by what its own jobs tell (their periods hold)', async () => {
    const slow: number[] = [];
    let ticker: Ticker | undefined = undefined;
    ticker = new Ticker(
      () => ({ position: 0.99 + performance.now() / 1e9, duration: 100 }),
      [
        { everyMs: 0, run: () => ticker?.wake() }, // as app.ts does: every state change wakes the ticker
        { everyMs: 1500, run: (ms) => slow.push(ms) },
      ],
    );
    ticker.start();
    await sleep(2200);
    ticker.stop();
    assert.equal(slow.length, 1, 'the 1.5 s job ran, its period not reset by the wake inside the tick');
  });
});
