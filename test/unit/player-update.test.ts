import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action } from '../../tui/player/keys.js';
import { clock, initialState, parseStatus, statusText, type PlayerState, type PlayState } from '../../tui/player/state.js';
import { applyAction, applyEvent } from '../../tui/player/update.js';
import { song } from '../helpers/songs.js';

const library = [song(1), song(2), song(3)];
const withLibrary: PlayerState = { ...initialState('me'), library, connection: 'online' };

function inState(playState: PlayState): PlayerState {
  if (playState === 'Stopped') return withLibrary;
  return { ...withLibrary, playState, now: { song: library[1] as never, position: 40 }, selected: 1 };
}

const ALL_ACTIONS: Action[] = [
  { type: 'play-selected' }, { type: 'toggle-pause' }, { type: 'stop' }, { type: 'restart' }, { type: 'cycle-loop' },
  { type: 'next' }, { type: 'previous' }, { type: 'choose' }, { type: 'seek', by: 5 }, { type: 'seek', by: -30 },
  { type: 'volume', by: 5 }, { type: 'search-open' }, { type: 'move', by: 1 }, { type: 'focus-next' },
  { type: 'play-device' }, { type: 'help' }, { type: 'quit' }, { type: 'toggle-radio' },
];

/** What each action does in each state: resulting play state and the effect types. */
const EXPECTED: Record<PlayState, Record<string, [PlayState, string[]]>> = {
  Stopped: {
    'play-selected': ['Playing', ['play']], 'toggle-pause': ['Playing', ['play']], stop: ['Stopped', []], restart: ['Stopped', []],
    'cycle-loop': ['Stopped', []], next: ['Playing', ['play']], previous: ['Stopped', []], choose: ['Stopped', []],
    seek: ['Stopped', []], volume: ['Stopped', ['volume']], 'search-open': ['Stopped', []], move: ['Stopped', []],
    'focus-next': ['Stopped', []], 'play-device': ['Stopped', []], help: ['Stopped', []], quit: ['Stopped', ['quit']],
    'toggle-radio': ['Stopped', ['radio-start']],
  },
  Playing: {
    'play-selected': ['Playing', ['play']], 'toggle-pause': ['Paused', ['pause']], stop: ['Stopped', ['stop']], restart: ['Playing', ['play']],
    'cycle-loop': ['Playing', []], next: ['Playing', ['play']], previous: ['Playing', ['play']], choose: ['Playing', []],
    seek: ['Playing', ['seek']], volume: ['Playing', ['volume']], 'search-open': ['Playing', []], move: ['Playing', []],
    'focus-next': ['Playing', []], 'play-device': ['Playing', []], help: ['Playing', []], quit: ['Playing', ['quit']],
    'toggle-radio': ['Stopped', ['stop', 'radio-start']],
  },
  Paused: {
    'play-selected': ['Playing', ['play']], 'toggle-pause': ['Playing', ['resume']], stop: ['Stopped', ['stop']], restart: ['Playing', ['play']],
    'cycle-loop': ['Paused', []], next: ['Playing', ['play']], previous: ['Playing', ['play']], choose: ['Paused', []],
    seek: ['Paused', ['seek']], volume: ['Paused', ['volume']], 'search-open': ['Paused', []], move: ['Paused', []],
    'focus-next': ['Paused', []], 'play-device': ['Paused', []], help: ['Paused', []], quit: ['Paused', ['quit']],
    'toggle-radio': ['Stopped', ['stop', 'radio-start']],
  },
};

describe('player state machine: every key in every state', () => {
  for (const playState of ['Stopped', 'Playing', 'Paused'] as const) {
    for (const action of ALL_ACTIONS) {
      it(`${action.type} while ${playState}`, () => {
        const { state, effects } = applyAction(inState(playState), action);
        const [expectedState, expectedEffects] = EXPECTED[playState][action.type] as [PlayState, string[]];
        assert.equal(state.playState, expectedState);
        assert.deepEqual(effects.map((e) => e.type), expectedEffects);
      });
    }
  }
});

describe('player state machine: every key while listening to the radio', () => {
  const listening: PlayerState = { ...withLibrary, radio: { on: true, status: 'listening', position: 12 } };
  /** Radio still on afterwards, and the effects. */
  const RADIO: Record<string, [boolean, string[]]> = {
    'play-selected': [false, ['radio-stop', 'play']], 'toggle-pause': [false, ['radio-stop']], stop: [false, ['radio-stop']],
    restart: [false, ['radio-stop']], 'cycle-loop': [true, []], next: [false, ['radio-stop', 'play']], previous: [false, ['radio-stop']],
    choose: [true, []], seek: [true, []], volume: [true, ['volume']], 'search-open': [true, []], move: [true, []], 'focus-next': [true, []],
    'play-device': [false, ['radio-stop']], help: [true, []], quit: [true, ['quit']], 'toggle-radio': [false, ['radio-stop']],
  };
  for (const action of ALL_ACTIONS) {
    it(action.type, () => {
      const { state, effects } = applyAction(listening, action);
      const [on, expected] = RADIO[action.type] as [boolean, string[]];
      assert.equal(state.radio.on, on);
      assert.deepEqual(effects.map((e) => e.type), expected);
    });
  }

  it('takes what the radio reports only while it is on, and tells the daemon `radio <file>`', () => {
    const on = applyAction(withLibrary, { type: 'toggle-radio' }).state;
    const playing = applyEvent(on, { type: 'radio', radio: { status: 'listening', info: { format: 'mp3', sample_rate: 44100, channels: 2, file: 'a.mp3' } } }).state;
    assert.equal(statusText(playing), 'radio a.mp3');
    const same = applyEvent(playing, { type: 'radio', radio: { status: 'listening' } }).state;
    assert.equal(same, playing, 'nothing changed: the same state (no render)');
    const off = applyAction(playing, { type: 'toggle-radio' }).state;
    assert.equal(applyEvent(off, { type: 'radio', radio: { status: 'listening' } }).state.radio.on, false);
    assert.equal(statusText(off), 'idle');
  });
});

describe('player state machine: details', () => {
  it('seeks within the song, clamped', () => {
    const playing = inState('Playing');
    assert.deepEqual(applyAction(playing, { type: 'seek', by: -60 }).effects, [{ type: 'seek', at: 0 }]);
    assert.deepEqual(applyAction(playing, { type: 'seek', by: 500 }).effects, [{ type: 'seek', at: 94.5 }]);
  });

  it('cycles loop off, one, all', () => {
    let state = withLibrary;
    const seen = [];
    for (let i = 0; i < 4; i++) {
      state = applyAction(state, { type: 'cycle-loop' }).state;
      seen.push(state.loop);
    }
    assert.deepEqual(seen, ['one', 'all', 'off', 'one']);
  });

  it('at the end of a song: loop one repeats it, off goes on and stops after the last, all wraps', () => {
    const last = { ...inState('Playing'), now: { song: library[2] as never, position: 95 } };
    assert.equal(applyEvent({ ...last, loop: 'one' }, { type: 'song-ended' }).effects[0]?.type, 'play');
    assert.deepEqual(applyEvent({ ...last, loop: 'one' }, { type: 'song-ended' }).state.now?.song, library[2]);
    assert.equal(applyEvent(last, { type: 'song-ended' }).state.playState, 'Stopped');
    assert.deepEqual(applyEvent({ ...last, loop: 'all' }, { type: 'song-ended' }).state.now?.song, library[0]);
    assert.deepEqual(applyEvent(inState('Playing'), { type: 'song-ended' }).state.now?.song, library[2]);
  });

  it('clamps volume to 0-100', () => {
    let state = withLibrary;
    for (let i = 0; i < 30; i++) state = applyAction(state, { type: 'volume', by: -5 }).state;
    assert.equal(state.volume, 0);
    for (let i = 0; i < 30; i++) state = applyAction(state, { type: 'volume', by: 5 }).state;
    assert.equal(state.volume, 100);
  });

  it('searches: typing narrows, Enter keeps the match selected in the whole library without playing, Esc restores', () => {
    let update = applyAction(withLibrary, { type: 'search-open' });
    for (const ch of 'song 3') update = applyAction(update.state, { type: 'search-type', text: ch });
    assert.equal(update.state.search.query, 'song 3');
    update = applyAction(update.state, { type: 'search-close', keep: true });
    assert.deepEqual(update.effects, []);
    assert.equal(update.state.search.active, false);
    assert.equal(update.state.library[update.state.selected]?.id, 3);
    assert.equal(applyAction(applyAction(withLibrary, { type: 'search-open' }).state, { type: 'search-close', keep: false }).state.selected, 0);
  });

  it('plays what another device plays, from its position', () => {
    const state: PlayerState = {
      ...withLibrary,
      focus: 'devices',
      devices: [{ name: 'den', address: '1.2.3.4:5', status: `playing ${library[2]?.file} 1:05/1:35`, connected: '', updated: '' }],
    };
    const { effects } = applyAction(state, { type: 'play-device' });
    assert.deepEqual(effects, [{ type: 'play', song: library[2], at: 65 }]);
    const idle = { ...state, devices: state.devices.map((d) => ({ ...d, status: 'idle' })) };
    assert.match(applyAction(idle, { type: 'play-device' }).state.message?.text ?? '', /not playing/);
  });

  it('keeps the selected song selected when the library changes', () => {
    const state = { ...withLibrary, selected: 2 };
    const { state: next } = applyEvent(state, { type: 'library', songs: [song(9), ...library] });
    assert.equal(next.library[next.selected]?.id, 3);
  });

  it('writes a status people and programs can read, and reads it back', () => {
    const playing = { ...inState('Playing'), now: { song: library[1] as never, position: 83.7 } };
    assert.equal(statusText(playing), `playing ${library[1]?.file} 1:23/1:35`);
    assert.equal(statusText({ ...playing, playState: 'Paused' }), `paused ${library[1]?.file} 1:23/1:35`);
    assert.equal(statusText(withLibrary), 'idle');
    assert.deepEqual(parseStatus(statusText(playing)), { playing: true, file: library[1]?.file, position: 83 });
    assert.equal(parseStatus('idle'), undefined);
    assert.deepEqual(['0:00', '1:05', '59:59', '1:00:00'], [0, 65, 3599, 3600].map(clock));
  });
});
