/** Quitting with the music playing on (state/quit.ts): the question, the hand-over and its end. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent } from '../../tui/state/events.js';
import { keyToAction } from '../../tui/state/keys.js';
import { initialState, type KeepPlaying, type PlayerState } from '../../tui/state/model.js';
import { play } from '../../tui/state/play.js';
import { headlessNameOf } from '../../tui/state/quit.js';
import { addSongs } from '../../tui/state/queue.js';
import { applyAction } from '../../tui/state/update.js';
import { song } from '../helpers/songs.js';

const library = [song(1), song(2)];
const base: PlayerState = { ...initialState('desk'), library, connection: 'online', keepPlaying: 'ask' };
const queued: PlayerState = { ...base, queue: addSongs(base.queue, library, 'end') };
const playing: PlayerState = play(queued, library[0] as (typeof library)[0], 12, queued.queue.entries[0]?.id).state;
const types = (effects: readonly { type: string }[]): string[] => effects.map((effect) => effect.type);
const key = (state: PlayerState, name: string, ch?: string) =>
  keyToAction({ name, ch, ctrl: false, shift: false, meta: false } as never, state);

describe('quitting while a song plays', () => {
  it('asks whether it plays on, and y, n and Esc answer', () => {
    const asked = applyAction(playing, { type: 'quit' });
    assert.deepEqual(asked.effects, []);
    assert.equal(asked.state.confirm, 'keep-playing');
    assert.match(
      asked.state.message?.text ?? '',
      /keep the music playing .* y: on desk headless, n: stop it, Esc: stay/,
    );

    const yes = applyAction(asked.state, key(asked.state, 'y', 'y') as never);
    assert.deepEqual(yes.effects, [{ type: 'hand-over', to: 'desk headless' }]);
    assert.equal(yes.state.handingOver, 'desk headless');
    assert.equal(yes.state.playState, 'Playing', 'it plays here until the other plays');

    assert.deepEqual(types(applyAction(asked.state, key(asked.state, 'n', 'n') as never).effects), ['quit']);
    const stay = applyAction(asked.state, key(asked.state, 'escape') as never);
    assert.deepEqual(stay.effects, []);
    assert.equal(stay.state.confirm, undefined);
    const other = applyAction(asked.state, { type: 'next' });
    assert.equal(other.state.confirm, undefined, 'any other key is no answer, and the player stays');
    assert.ok(!types(other.effects).includes('quit'));
  });

  it('follows the setting, and asks only when a song of its own plays', () => {
    const table: Array<[KeepPlaying, PlayerState, boolean | undefined, string[]]> = [
      ['always', playing, undefined, ['hand-over']],
      ['always', playing, true, ['hand-over']],
      ['never', playing, undefined, ['quit']],
      ['ask', playing, true, ['quit']], // SIGTERM or SIGHUP: nobody to ask
      ['ask', { ...playing, playState: 'Paused' }, undefined, ['quit']],
      ['ask', queued, undefined, ['quit']],
      ['always', { ...playing, follow: { leader: 'kitchen' } }, undefined, ['quit']],
      ['always', { ...playing, radio: { on: true, status: 'listening', position: 0 } }, undefined, ['quit']],
    ];
    for (const [keepPlaying, state, signal, effects] of table)
      assert.deepEqual(
        types(applyAction({ ...state, keepPlaying }, { type: 'quit', signal }).effects),
        effects,
        `${keepPlaying} ${state.playState} signal ${signal}`,
      );
  });

  it('quits once the music plays there, whatever plays; stays and says so when it could not be handed over', () => {
    const handing = applyAction({ ...playing, keepPlaying: 'always' }, { type: 'quit' }).state;
    const done = applyEvent(handing, { type: 'handed-off', to: 'desk headless', song: 999 });
    assert.deepEqual(types(done.effects), ['stop', 'quit']);
    const failed = applyEvent(handing, { type: 'hand-over-failed', text: 'it did not come up within 20 s' });
    assert.equal(failed.state.handingOver, undefined);
    assert.equal(failed.state.playState, 'Playing');
    assert.match(
      failed.state.message?.text ?? '',
      /desk headless did not take the music \(it did not come up.*\): it plays on here/,
    );
    assert.deepEqual(types(applyAction(handing, { type: 'quit' }).effects), ['quit'], 'q again: quit at once');
  });

  it('hangs up a call on the way out, and not before: a hand-over that fails leaves it going', () => {
    const inCall = { ...playing, keepPlaying: 'always' as const, call: { id: 7 } as never };
    const handing = applyAction(inCall, { type: 'quit' });
    assert.deepEqual(types(handing.effects), ['hand-over']);
    const done = applyEvent(handing.state, { type: 'handed-off', to: 'desk headless', song: 999 });
    assert.deepEqual(types(done.effects), ['hangup', 'stop', 'quit']);
    const failed = applyEvent(handing.state, { type: 'hand-over-failed', text: 'refused' });
    assert.deepEqual(types(failed.effects), []);
    assert.equal(failed.state.call?.id, 7);
    const asked = applyAction({ ...inCall, keepPlaying: 'ask' as const }, { type: 'quit' });
    assert.deepEqual(types(applyAction(asked.state, { type: 'confirm', yes: true }).effects), ['hand-over']);
    assert.deepEqual(types(applyAction(asked.state, { type: 'confirm', yes: false }).effects), ['hangup', 'quit']);
  });

  it('names the player without a screen after this one, within a device name', () => {
    assert.equal(headlessNameOf('desk'), 'desk headless');
    const long = headlessNameOf('ü'.repeat(64));
    assert.equal([...long].length, 64);
    assert.match(long, /^ü+ headless$/);
    assert.equal(headlessNameOf(`${'a'.repeat(54)} b`), `${'a'.repeat(54)} headless`, 'no space doubled');
  });
});
