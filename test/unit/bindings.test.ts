import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultBindings, helpLines, keyId, withUserBindings } from '../../tui/state/bindings.js';
import { keyToAction } from '../../tui/state/keys.js';
import { initialState, type PlayerState } from '../../tui/state/model.js';

describe('key names', () => {
  const cases: Array<[Parameters<typeof keyId>[0], string | undefined]> = [
    [{ ch: 'n', name: 'n' }, 'n'],
    [{ ch: 'G', name: 'g' }, 'G'],
    [{ ch: ' ', name: 'space' }, 'space'],
    [{ name: 'left' }, 'left'],
    [{ name: 'f5' }, 'f5'],
    [{ ch: '\x0e', name: 'n', ctrl: true }, 'ctrl-n'],
    [{ ch: '>' }, '>'],
    [{ ch: '\x7f', name: 'backspace' }, 'backspace'],
    [{}, undefined],
  ];
  for (const [key, id] of cases) it(`${JSON.stringify(key)}: ${id}`, () => assert.equal(keyId(key), id));
});

describe('the user’s bindings', () => {
  it('go over the defaults, take keys off with none, and say what is wrong, leaving it out', () => {
    const { bindings, problems } = withUserBindings({
      x: 'stop',
      s: 'none',
      'ctrl-n': 'next',
      f5: 'toggle-radio',
      n: 'previous',
      bogus: 'stop',
      y: 'fly',
      'ctrl-c': 'stop',
      z: 3,
    });
    assert.equal(bindings.get('x'), 'stop');
    assert.equal(bindings.has('s'), false);
    assert.equal(bindings.get('ctrl-n'), 'next');
    assert.equal(bindings.get('n'), 'previous');
    assert.equal(bindings.get('z'), 'toggle-shuffle', 'a bad entry leaves the default');
    assert.deepEqual(problems, [
      "'bogus' is not a key that can be bound (one character, a name such as space or f5, or ctrl-x)",
      "'y': no command 'fly'",
      "'ctrl-c' is not a key that can be bound (one character, a name such as space or f5, or ctrl-x)",
      "'z': no command '3'",
    ]);
    const state: PlayerState = { ...initialState('me'), bindings };
    assert.deepEqual(keyToAction({ ch: 'x', name: 'x' }, state), { type: 'stop' });
    assert.equal(keyToAction({ ch: 's', name: 's' }, state), undefined);
    assert.deepEqual(keyToAction({ ch: '\x0e', name: 'n', ctrl: true }, state), { type: 'next' });
    assert.deepEqual(keyToAction({ name: 'f5' }, state), { type: 'toggle-radio' });
    assert.deepEqual(keyToAction({ name: 'c', ctrl: true }, state), { type: 'quit' }, 'Ctrl-C is always quit');
  });

  it('are what the help shows', () => {
    const shown = new Map(helpLines(withUserBindings({ x: 'stop', s: 'none', f5: 'stop' }).bindings));
    assert.equal(shown.get('x, F5'), 'stop');
    assert.ok(![...shown.keys()].includes('s'));
    const defaults = new Map(helpLines(defaultBindings));
    assert.equal(defaults.get('Space, p'), 'pause / resume');
    assert.equal(defaults.get('n, >'), 'next song');
    assert.equal(defaults.get('s'), 'stop');
    const last = helpLines(defaultBindings).at(-1);
    assert.deepEqual(last, ['q', 'quit (while a song plays: asks whether it plays on without a screen)']);
  });
});
