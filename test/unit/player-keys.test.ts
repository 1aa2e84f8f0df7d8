import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyToAction, type Key } from '../../tui/state/keys.js';
import { initialState } from '../../tui/state/model.js';

const base = initialState('me');

describe('keyToAction', () => {
  const table: Array<[Key, string, object?]> = [
    [{ name: 'return', ch: '\r' }, 'play-selected'],
    [{ name: 'linefeed', ch: '\n' }, 'play-selected'],
    [{ name: 'space', ch: ' ' }, 'toggle-pause'],
    [{ ch: 'p' }, 'toggle-pause'],
    [{ ch: 's' }, 'stop'],
    [{ ch: 'r' }, 'restart'],
    [{ ch: 'l' }, 'cycle-loop'],
    [{ ch: 'n' }, 'next'],
    [{ ch: '>' }, 'next'],
    [{ ch: 'b' }, 'previous'],
    [{ ch: '<' }, 'previous'],
    [{ ch: 'c' }, 'choose'],
    [{ name: 'left' }, 'seek', { by: -5 }],
    [{ name: 'right' }, 'seek', { by: 5 }],
    [{ ch: ',' }, 'seek', { by: -30 }],
    [{ ch: '.' }, 'seek', { by: 30 }],
    [{ ch: '+' }, 'volume', { by: 5 }],
    [{ ch: '-' }, 'volume', { by: -5 }],
    [{ ch: '/' }, 'search-open'],
    [{ name: 'tab' }, 'focus-next'],
    [{ name: 'up' }, 'move', { by: -1 }],
    [{ ch: 'j' }, 'move', { by: 1 }],
    [{ ch: 'G' }, 'move-to', { where: 'bottom' }],
    [{ ch: '?' }, 'help'],
    [{ ch: 'q' }, 'quit'],
    [{ name: 'c', ctrl: true }, 'quit'],
  ];
  for (const [key, type, extra] of table) {
    it(`maps ${JSON.stringify(key)} to ${type}`, () => assert.deepEqual(keyToAction(key, base), { type, ...extra }));
  }

  it('ignores keys it does not know', () => {
    assert.equal(keyToAction({ ch: 'Z' }, base), undefined);
    assert.equal(keyToAction({ name: 'f5' }, base), undefined);
  });

  it('follows a device on Enter in the devices panel', () => {
    const devices = [{ name: 'den', address: '', status: 'idle', connected: '', updated: '' }];
    assert.deepEqual(keyToAction({ name: 'return' }, { ...base, focus: 'devices', devices }), {
      type: 'follow-device',
    });
  });

  it('types into the search while it is open, letters that are commands elsewhere included', () => {
    const searching = { ...base, search: { active: true, query: '' } };
    for (const ch of ['q', 's', 'n', ' ', '/', 'ç'])
      assert.deepEqual(keyToAction({ ch }, searching), { type: 'search-type', text: ch });
    assert.deepEqual(keyToAction({ name: 'return' }, searching), { type: 'search-close', keep: true });
    assert.deepEqual(keyToAction({ name: 'escape' }, searching), { type: 'search-close', keep: false });
    assert.deepEqual(keyToAction({ name: 'backspace' }, searching), { type: 'search-erase' });
    assert.deepEqual(keyToAction({ name: 'down' }, searching), { type: 'move', by: 1 });
  });

  // blessed reports one carriage return as two keypresses: a copy named `enter`, then `return`.
  const physicalEnter: Key[] = [
    { name: 'enter', ch: '\r' },
    { name: 'return', ch: '\r' },
  ];

  it('one physical Enter is one action, in every panel and in the search', () => {
    const states = [base, { ...base, focus: 'devices' as const }, { ...base, search: { active: true, query: 'x' } }];
    for (const state of states) {
      const actions = physicalEnter.map((key) => keyToAction(key, state)).filter((action) => action !== undefined);
      assert.equal(actions.length, 1, JSON.stringify(actions));
    }
  });

  it('only scrolls or closes the help while it is shown', () => {
    const help = { ...base, showHelp: true };
    assert.equal(keyToAction({ ch: 's' }, help), undefined);
    assert.deepEqual(keyToAction({ ch: '?' }, help), { type: 'help' });
    assert.deepEqual(keyToAction({ name: 'escape' }, help), { type: 'help' });
    assert.deepEqual(keyToAction({ ch: 'j', name: 'j' }, help), { type: 'help-scroll', by: 1 });
    assert.deepEqual(keyToAction({ name: 'up' }, help), { type: 'help-scroll', by: -1 });
    assert.deepEqual(keyToAction({ name: 'pagedown' }, help), { type: 'help-scroll', by: 10 });
    assert.deepEqual(keyToAction({ ch: 'G', name: 'g' }, help), { type: 'help-scroll', by: 1000 });
  });
});
