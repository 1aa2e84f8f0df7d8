import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialState, type PlayerState, type PlayState } from '../../tui/state/model.js';
import { applyAction } from '../../tui/state/update.js';
import { song } from '../helpers/songs.js';
import type { Action, Effect } from '../../tui/state/actions.js';
import { clock, parseStatus } from '../../common/protocol/device-status.js';
import { deviceActivityText, statusText } from '../../tui/state/selectors.js';
import { applyEvent } from '../../tui/state/events.js';

const library = [song(1), song(2), song(3)];
const withLibrary: PlayerState = { ...initialState('me'), library, connection: 'online' };

/** A playing device in the devices panel, and this one. */
const devices = [
  { name: 'den', address: '1.2.3.4:5', status: `playing ${library[2]?.file} 1:05/1:35`, connected: '', updated: '' },
  { name: 'me', address: '1.2.3.4:6', status: 'idle', connected: '', updated: '' },
];

/** Song 1 selected; while Playing or Paused, song 2 at 0:40; volume at 50, so that both ways move it. */
function inState(playState: PlayState): PlayerState {
  const base: PlayerState = { ...withLibrary, devices, volume: 50 };
  if (playState === 'Stopped') return base;
  return { ...base, playState, now: { song: library[1] as never, position: 40 } };
}

const ALL_ACTIONS: Action[] = [
  { type: 'play-selected' },
  { type: 'toggle-pause' },
  { type: 'stop' },
  { type: 'restart' },
  { type: 'cycle-loop' },
  { type: 'next' },
  { type: 'previous' },
  { type: 'choose' },
  { type: 'seek', by: 5 },
  { type: 'seek', by: -30 },
  { type: 'volume', by: 5 },
  { type: 'search-open' },
  { type: 'move', by: 1 },
  { type: 'focus-next' },
  { type: 'play-device' },
  { type: 'help' },
  { type: 'quit' },
  { type: 'toggle-radio' },
];

/** An effect in short: `play:<song id>@<at>`, `seek@<at>`, `volume=<n>`, or its type. */
const short = (effect: Effect): string =>
  effect.type === 'play'
    ? `play:${effect.song.id}@${effect.at}`
    : effect.type === 'seek'
      ? `seek@${effect.at}`
      : effect.type === 'volume'
        ? `volume=${effect.volume}`
        : effect.type;

/** The state's fields whose values the action changed. */
const changedFields = (before: PlayerState, after: PlayerState): string[] =>
  (Object.keys(after) as Array<keyof PlayerState>).filter(
    (key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]),
  );

/** What each action does in each state: the play state after it, its effects, and every field it changes. */
const EXPECTED: Record<PlayState, Record<string, [PlayState, string, string]>> = {
  Stopped: {
    'play-selected': ['Playing', 'play:1@0', 'playState,now'],
    'toggle-pause': ['Playing', 'play:1@0', 'playState,now'],
    stop: ['Stopped', '', ''],
    restart: ['Stopped', '', ''],
    'cycle-loop': ['Stopped', '', 'loop'],
    next: ['Playing', 'play:2@0', 'playState,now'],
    previous: ['Stopped', '', 'message'],
    choose: ['Stopped', '', ''],
    'seek+5': ['Stopped', '', ''],
    'seek-30': ['Stopped', '', ''],
    volume: ['Stopped', 'volume=55', 'volume'],
    'search-open': ['Stopped', '', 'search'],
    move: ['Stopped', '', 'selected'],
    'focus-next': ['Stopped', '', 'focus'],
    'play-device': ['Playing', 'play:3@65', 'playState,now'],
    help: ['Stopped', '', 'showHelp'],
    quit: ['Stopped', 'quit', ''],
    'toggle-radio': ['Stopped', 'radio-start', 'radio'],
  },
  Playing: {
    'play-selected': ['Playing', 'play:1@0', 'now'],
    'toggle-pause': ['Paused', 'pause', 'playState'],
    stop: ['Stopped', 'stop', 'playState,now'],
    restart: ['Playing', 'play:2@0', 'now'],
    'cycle-loop': ['Playing', '', 'loop'],
    next: ['Playing', 'play:3@0', 'now'],
    previous: ['Playing', 'play:1@0', 'now'],
    choose: ['Playing', '', 'selected'],
    'seek+5': ['Playing', 'seek@45', 'now'],
    'seek-30': ['Playing', 'seek@10', 'now'],
    volume: ['Playing', 'volume=55', 'volume'],
    'search-open': ['Playing', '', 'search'],
    move: ['Playing', '', 'selected'],
    'focus-next': ['Playing', '', 'focus'],
    'play-device': ['Playing', 'play:3@65', 'now'],
    help: ['Playing', '', 'showHelp'],
    quit: ['Playing', 'quit', ''],
    'toggle-radio': ['Stopped', 'stop,radio-start', 'playState,now,radio'],
  },
  Paused: {
    'play-selected': ['Playing', 'play:1@0', 'playState,now'],
    'toggle-pause': ['Playing', 'resume', 'playState'],
    stop: ['Stopped', 'stop', 'playState,now'],
    restart: ['Playing', 'play:2@0', 'playState,now'],
    'cycle-loop': ['Paused', '', 'loop'],
    next: ['Playing', 'play:3@0', 'playState,now'],
    previous: ['Playing', 'play:1@0', 'playState,now'],
    choose: ['Paused', '', 'selected'],
    'seek+5': ['Paused', 'seek@45', 'now'],
    'seek-30': ['Paused', 'seek@10', 'now'],
    volume: ['Paused', 'volume=55', 'volume'],
    'search-open': ['Paused', '', 'search'],
    move: ['Paused', '', 'selected'],
    'focus-next': ['Paused', '', 'focus'],
    'play-device': ['Playing', 'play:3@65', 'playState,now'],
    help: ['Paused', '', 'showHelp'],
    quit: ['Paused', 'quit', ''],
    'toggle-radio': ['Stopped', 'stop,radio-start', 'playState,now,radio'],
  },
};

const rowName = (action: Action): string =>
  action.type === 'seek' ? `seek${action.by > 0 ? '+' : ''}${action.by}` : action.type;

describe('player state machine: every key in every state', () => {
  for (const playState of ['Stopped', 'Playing', 'Paused'] as const) {
    for (const action of ALL_ACTIONS) {
      it(`${rowName(action)} while ${playState}`, () => {
        const before = inState(playState);
        const { state, effects } = applyAction(before, action);
        const [expectedState, expectedEffects, expectedChanges] = EXPECTED[playState][rowName(action)] as [
          PlayState,
          string,
          string,
        ];
        assert.equal(state.playState, expectedState, 'play state');
        assert.equal(effects.map(short).join(','), expectedEffects, 'effects');
        assert.equal(changedFields(before, state).join(','), expectedChanges, 'fields changed');
      });
    }
  }

  it('moves, focuses, chooses and helps as they say', () => {
    const playing = inState('Playing');
    assert.equal(applyAction(playing, { type: 'move', by: 1 }).state.selected, 1);
    assert.equal(applyAction(playing, { type: 'choose' }).state.selected, 1, 'choose selects the song playing');
    const onQueue = applyAction(playing, { type: 'focus-next' }).state;
    assert.equal(onQueue.focus, 'queue', 'Tab: library, queue, devices');
    const onDevices = applyAction(onQueue, { type: 'focus-next' }).state;
    assert.equal(onDevices.focus, 'devices');
    assert.equal(applyAction(onDevices, { type: 'focus-next' }).state.focus, 'library', 'and round');
    assert.equal(
      applyAction(onDevices, { type: 'move', by: 1 }).state.selectedDevice,
      1,
      'move moves in the focused panel',
    );
    assert.equal(applyAction(onDevices, { type: 'choose' }).state.focus, 'library', 'choose goes back to the library');
    assert.equal(applyAction(applyAction(playing, { type: 'help' }).state, { type: 'help' }).state.showHelp, false);
  });
});

describe('player state machine: every key while listening to the radio', () => {
  const listening: PlayerState = { ...withLibrary, radio: { on: true, status: 'listening', position: 12 } };
  /** Radio still on afterwards, and the effects. */
  const RADIO: Record<string, [boolean, string[]]> = {
    'play-selected': [false, ['radio-stop', 'play']],
    'toggle-pause': [false, ['radio-stop']],
    stop: [false, ['radio-stop']],
    restart: [false, ['radio-stop']],
    'cycle-loop': [true, []],
    next: [false, ['radio-stop', 'play']],
    previous: [false, ['radio-stop']],
    choose: [true, []],
    seek: [true, []],
    volume: [true, ['volume']],
    'search-open': [true, []],
    move: [true, []],
    'focus-next': [true, []],
    'play-device': [false, ['radio-stop']],
    help: [true, []],
    quit: [true, ['quit']],
    'toggle-radio': [false, ['radio-stop']],
  };
  for (const action of ALL_ACTIONS) {
    it(action.type, () => {
      const { state, effects } = applyAction(listening, action);
      const [on, expected] = RADIO[action.type] as [boolean, string[]];
      assert.equal(state.radio.on, on);
      assert.deepEqual(
        effects.map((e) => e.type),
        expected,
      );
    });
  }

  it('takes what the radio reports only while it is on, and tells the daemon `radio <file>`', () => {
    const on = applyAction(withLibrary, { type: 'toggle-radio' }).state;
    const playing = applyEvent(on, {
      type: 'radio',
      radio: { status: 'listening', info: { format: 'mp3', sample_rate: 44100, channels: 2, file: 'a.mp3' } },
    }).state;
    assert.equal(statusText(playing), 'radio a.mp3');
    const same = applyEvent(playing, { type: 'radio', radio: { status: 'listening' } }).state;
    assert.equal(same, playing, 'nothing changed: the same state (no render)');
    const off = applyAction(playing, { type: 'toggle-radio' }).state;
    assert.equal(applyEvent(off, { type: 'radio', radio: { status: 'listening' } }).state.radio.on, false);
    assert.equal(statusText(off), 'idle');
  });

  it('takes the radio’s figures and chart away when it stops; those of songs over UDP stay', () => {
    const stats = (source: 'radio' | 'stream'): PlayerState['udp'] => ({
      source,
      history: [0, 5],
      loss: 5,
      totals: { received: 95, lost: 5, late: 0, duplicate: 0 },
      jitterMs: undefined,
    });
    assert.equal(applyAction({ ...listening, udp: stats('radio') }, { type: 'toggle-radio' }).state.udp, undefined);
    assert.equal(applyAction({ ...listening, udp: stats('radio') }, { type: 'stop' }).state.udp, undefined);
    assert.deepEqual(applyAction({ ...listening, udp: stats('stream') }, { type: 'stop' }).state.udp, stats('stream'));
  });
});

describe('the devices panel', () => {
  it('names another device’s song as the library does, with its clock, not by its path', () => {
    const tagged = { ...song(7), file: 'Artist/Album/07 Song.mp3', title: 'Song', artist: 'Artist' };
    const state: PlayerState = { ...withLibrary, library: [...library, tagged] };
    const cases: Array<[string, string]> = [
      ['playing Artist/Album/07 Song.mp3 1:05/3:35', '▶ Artist - Song 1:05/3:35'],
      ['paused Artist/Album/07 Song.mp3 0:00/3:35', '‖ Artist - Song 0:00/3:35'],
      ['playing Gone/Away/Not Here.mp3 0:10/1:00', '▶ Not Here.mp3 0:10/1:00'],
      ['radio Artist/Album/07 Song.mp3', 'radio Artist - Song'],
      ['in call with bob', 'in call with bob'],
      ['idle', 'idle'],
    ];
    for (const [status, shown] of cases) assert.equal(deviceActivityText(state, status), shown);
  });
});

describe('the help', () => {
  it('opens at its top, scrolls within its lines, and closes', () => {
    const open = applyAction({ ...withLibrary, helpTop: 5 }, { type: 'help' }).state;
    assert.deepEqual([open.showHelp, open.helpTop], [true, 0]);
    const down = applyAction(open, { type: 'help-scroll', by: 3 }).state;
    assert.equal(down.helpTop, 3);
    assert.equal(applyAction(down, { type: 'help-scroll', by: -1000 }).state.helpTop, 0);
    assert.ok(applyAction(down, { type: 'help-scroll', by: 1000 }).state.helpTop < 100);
    assert.equal(applyAction(down, { type: 'help' }).state.showHelp, false);
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
    assert.equal(
      applyAction(applyAction(withLibrary, { type: 'search-open' }).state, { type: 'search-close', keep: false }).state
        .selected,
      0,
    );
  });

  it('plays what another device plays, from its position', () => {
    const state: PlayerState = {
      ...withLibrary,
      focus: 'devices',
      devices: [
        {
          name: 'den',
          address: '1.2.3.4:5',
          status: `playing ${library[2]?.file} 1:05/1:35`,
          connected: '',
          updated: '',
        },
      ],
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

describe('the daemon’s catalog state', () => {
  it('keeps how far a scan is while it runs, and drops it when the catalog is ready', () => {
    let state = applyEvent(initialState('alice'), {
      type: 'catalog',
      state: 'loading',
      scan: { done: 10, total: 400 },
    }).state;
    assert.deepEqual([state.catalog, state.catalogScan], ['loading', { done: 10, total: 400 }]);
    state = applyEvent(state, { type: 'catalog', state: 'loading', scan: { done: 250, total: 400 } }).state;
    assert.deepEqual(state.catalogScan, { done: 250, total: 400 }, 'the same state, further on');
    state = applyEvent(state, { type: 'catalog', state: 'ready' }).state;
    assert.deepEqual([state.catalog, state.catalogScan], ['ready', undefined]);
  });
});

describe('the cache as the library while the daemon is away', () => {
  const blocks = new Map([
    [library[2]?.etag as string, new Set([0, 1])],
    [library[0]?.etag as string, new Set([0])],
  ]);
  const cachedSongs = [library[2], library[0]] as NonNullable<(typeof library)[number]>[];

  it('becomes the library, in order of file, when there is none, with its blocks marked', () => {
    const { state } = applyEvent(initialState('alice'), { type: 'offline-library', songs: cachedSongs, blocks });
    assert.deepEqual(
      state.library.map((s) => s.file),
      [library[0]?.file, library[2]?.file],
    );
    assert.deepEqual([...(state.cached.get(library[2]?.etag as string) ?? [])], [0, 1]);
  });

  it('leaves a library the daemon gave alone, and marks what is cached in it', () => {
    const { state } = applyEvent(withLibrary, { type: 'offline-library', songs: cachedSongs, blocks });
    assert.equal(state.library, withLibrary.library);
    assert.deepEqual([...(state.cached.get(library[0]?.etag as string) ?? [])], [0]);
  });

  it('an empty cache changes nothing', () => {
    const before = initialState('alice');
    assert.equal(applyEvent(before, { type: 'offline-library', songs: [], blocks: new Map() }).state, before);
  });
});

describe('a song that cannot be played', () => {
  it('is said once and skipped to what follows it, as MPD does', () => {
    const playing = applyAction(withLibrary, { type: 'play-selected' }).state; // library[0]
    const { state, effects } = applyEvent(playing, { type: 'playback-failed', text: 'a.mp3: streamd refused it' });
    assert.deepEqual(effects, [{ type: 'play', song: library[1], at: 0 }]);
    assert.equal(state.now?.song, library[1]);
    assert.deepEqual(state.message, { text: 'a.mp3: streamd refused it: skipped', error: true });
    assert.equal(state.skippedInARow, 1);
    assert.equal(applyEvent(state, { type: 'position', seconds: 1 }).state.skippedInARow, 0, 'a song that sounds');
  });

  it('stops at the end of what there is to play, and after ten failures in a row', () => {
    const last = applyAction({ ...withLibrary, selected: 2 }, { type: 'play-selected' }).state;
    const atEnd = applyEvent(last, { type: 'playback-failed', text: 'c: refused' });
    assert.deepEqual([atEnd.state.playState, atEnd.effects], ['Stopped', []]);
    let state: PlayerState = { ...applyAction(withLibrary, { type: 'play-selected' }).state, loop: 'all' };
    let plays = 0;
    for (let i = 0; i < 30 && state.playState === 'Playing'; i++) {
      const update = applyEvent(state, { type: 'playback-failed', text: 'refused' });
      plays += update.effects.length;
      state = update.state;
    }
    assert.equal(plays, 9, 'nine skips, then the tenth failure stops (loop all would go round for ever)');
    assert.equal(state.playState, 'Stopped');
    assert.match(state.message?.text ?? '', /10 songs in a row could not play: stopped/);
  });

  it('with the daemon away, skips to the first song whose start is on disk', () => {
    const cached = new Map([[library[2]?.etag as string, new Set([0])]]);
    const playing = { ...applyAction(withLibrary, { type: 'play-selected' }).state, cached };
    const { state, effects } = applyEvent(playing, { type: 'playback-failed', text: 'a: offline', offline: true });
    assert.deepEqual(effects, [{ type: 'play', song: library[2], at: 0 }], 'library[1] is not on disk: passed');
    assert.equal(state.message?.text, 'a: offline: skipped to Odd Band - Song 3');
    assert.equal(state.resumeWhenOnline, undefined);
  });

  it('with the daemon away and nothing on disk, stops and goes on from there when it is back', () => {
    const playing = applyAction({ ...withLibrary, connection: 'offline' }, { type: 'play-selected' }).state;
    const at = applyEvent(playing, { type: 'position', seconds: 29 }).state;
    const stopped = applyEvent(at, { type: 'playback-failed', text: 'a: offline', offline: true });
    assert.deepEqual([stopped.state.playState, stopped.effects], ['Stopped', []]);
    assert.equal(stopped.state.message?.text, 'a: offline: plays on when it is back');
    const back = applyEvent(stopped.state, { type: 'connection', state: 'online' });
    assert.deepEqual(back.effects, [{ type: 'play', song: library[0], at: 29 }]);
    assert.equal(back.state.resumeWhenOnline, undefined);
    assert.equal(back.state.message?.text, 'streamd is back: playing on');
    // A song of the user's own choosing in between: the daemon's return changes nothing.
    const chosen = applyAction({ ...stopped.state, selected: 1 }, { type: 'play-selected' });
    const stop = applyAction(chosen.state, { type: 'stop' }).state;
    assert.deepEqual(applyEvent(stop, { type: 'connection', state: 'online' }).effects, []);
  });

  it('loop one does not play the failed song again', () => {
    const one = { ...applyAction(withLibrary, { type: 'play-selected' }).state, loop: 'one' as const };
    assert.equal(applyEvent(one, { type: 'playback-failed', text: 'x' }).state.playState, 'Stopped');
  });
});
