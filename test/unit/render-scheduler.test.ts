/** When the screen is drawn: once a turn of the event loop, and not in a play's first moments. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RenderScheduler } from '../../tui/timing/render-scheduler.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function scheduler(): { renders: RenderScheduler; drawn: string[] } {
  const drawn: string[] = [];
  const renders = new RenderScheduler(
    () => drawn.push('draw'),
    () => drawn.push('status'),
  );
  return { renders, drawn };
}

describe('render scheduler', () => {
  it('draws once a turn, however many changes asked', async () => {
    const { renders, drawn } = scheduler();
    renders.render();
    renders.render();
    await turn();
    assert.deepEqual(drawn, ['draw']);
    renders.render();
    await turn();
    assert.deepEqual(drawn, ['draw', 'draw']);
  });

  it("holds a render asked for just before a play (a move and Enter in one read) until the play's quiet ends", async () => {
    const { renders, drawn } = scheduler();
    renders.render(); // j
    renders.quiet(40); // Enter: a play
    await turn();
    assert.deepEqual(drawn, [], 'nothing drawn while the first sound is on its way');
    await sleep(60);
    assert.deepEqual(drawn, ['status', 'draw'], 'the status, then the screen, once the quiet ends');
  });

  it('ends the quiet at the first sound', async () => {
    const { renders, drawn } = scheduler();
    renders.quiet(10_000);
    renders.render();
    await turn();
    assert.deepEqual(drawn, []);
    renders.soundOut();
    await turn();
    assert.deepEqual(drawn, ['status', 'draw']);
    renders.stop();
  });
});
