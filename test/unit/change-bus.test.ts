import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeBus } from '../../daemon/events/change-bus.js';
import type { IdleTopic } from '../../common/protocol/topics.js';

const set = (...topics: IdleTopic[]): Set<IdleTopic> => new Set(topics);
const settled = async (promise: Promise<void>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('change bus', () => {
  it('keeps changes for a connection that is not waiting, and answers its next wait at once', async () => {
    const bus = new ChangeBus();
    bus.subscribe(1);
    bus.notify('devices');
    assert.equal(await settled(bus.wait(1, set('devices'), new AbortController().signal)), true);
    assert.deepEqual(bus.take(1, ['devices', 'catalog']), ['devices']);
    assert.deepEqual(bus.take(1, ['devices']), [], 'taken once');
  });

  it('wakes a wait only for the topics it asked for, and keeps the others pending', async () => {
    const bus = new ChangeBus();
    bus.subscribe(1);
    const wait = bus.wait(1, set('radio'), new AbortController().signal);
    bus.notify('catalog');
    assert.equal(await settled(wait), false);
    bus.notify('radio');
    assert.equal(await settled(wait), true);
    assert.deepEqual(bus.take(1, ['radio']), ['radio']);
    assert.deepEqual(bus.take(1, ['devices', 'catalog', 'radio', 'calls']), ['catalog'], 'catalog still pending');
  });

  it('names each topic once, in the order asked, however often it changed', () => {
    const bus = new ChangeBus();
    bus.subscribe(1);
    for (const topic of ['radio', 'devices', 'radio', 'devices'] as const) bus.notify(topic);
    assert.deepEqual(bus.take(1, ['devices', 'catalog', 'radio']), ['devices', 'radio']);
  });

  it('notifies only the connections named (a call concerns its parties)', () => {
    const bus = new ChangeBus();
    bus.subscribe(1);
    bus.subscribe(2);
    bus.notify('calls', [2, 99]);
    assert.deepEqual(bus.take(1, ['calls']), []);
    assert.deepEqual(bus.take(2, ['calls']), ['calls']);
  });

  it('ends a wait on abort, and on unsubscribe; a gone connection takes nothing', async () => {
    const bus = new ChangeBus();
    bus.subscribe(1);
    const abort = new AbortController();
    const wait = bus.wait(1, set('devices'), abort.signal);
    abort.abort();
    assert.equal(await settled(wait), true);
    const second = bus.wait(1, set('devices'), new AbortController().signal);
    bus.unsubscribe(1);
    assert.equal(await settled(second), true);
    bus.notify('devices');
    assert.deepEqual(bus.take(1, ['devices']), []);
  });
});
