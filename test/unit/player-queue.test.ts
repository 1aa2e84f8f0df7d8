/** The queue in the state machine: every queue key in every state, the end of songs, loop and shuffle rounds, persistence's snapshot, playlists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { upNext } from '../../tui/state/advance.js';
import { keyToAction } from '../../tui/state/keys.js';
import {
  addSongs,
  emptyQueue,
  queueFromSnapshot,
  queueSnapshot,
  stepQueue,
  toggleShuffle,
  type QueueState,
} from '../../tui/state/queue.js';
import { initialState, type PlayerState, type PlayState } from '../../tui/state/model.js';
import { applyAction } from '../../tui/state/update.js';
import { formatM3u8, parseM3u8 } from '../../common/playlist/m3u8.js';
import { song } from '../helpers/songs.js';
import type { Action, Effect } from '../../tui/state/actions.js';
import { applyEvent } from '../../tui/state/events.js';
import { restoreSession, sessionSnapshot, type SessionSnapshot } from '../../tui/state/session.js';
import type { SongInfo } from '../../common/protocol/records.js';

const library = [song(1), song(2), song(3), song(4), song(5)];
const base: PlayerState = { ...initialState('me', true, 42), library, connection: 'online', volume: 50 };
const ids = (queue: QueueState): number[] => queue.entries.map((e) => e.song.id);
const played = (effects: Effect[]): number | undefined =>
  effects.flatMap((e) => (e.type === 'play' ? [e.song.id] : []))[0];

/** Songs 3, 1, 5 queued (in that order); while Playing or Paused, the queue's second entry (song 1) plays at 0:40. */
function queued(playState: PlayState, focus: PlayerState['focus'] = 'queue'): PlayerState {
  let queue = emptyQueue(42);
  queue = addSongs(queue, [song(3), song(1), song(5)], 'end');
  const state: PlayerState = { ...base, queue, focus, selectedEntry: 1 };
  if (playState === 'Stopped') return state;
  return { ...state, playState, queue: { ...queue, place: 2 }, now: { song: song(1), position: 40, entry: 2 } };
}

describe('queue keys', () => {
  const table: Array<[string, Parameters<typeof keyToAction>[0], PlayerState['focus'], Action | undefined]> = [
    ['a adds to the end', { ch: 'a' }, 'library', { type: 'queue-add', where: 'end' }],
    ['A plays next', { ch: 'A' }, 'library', { type: 'queue-add', where: 'next' }],
    ['Enter in the queue plays from there', { name: 'return' }, 'queue', { type: 'queue-play' }],
    ['d removes', { ch: 'd' }, 'queue', { type: 'queue-remove' }],
    ['Delete removes', { name: 'delete' }, 'queue', { type: 'queue-remove' }],
    ['J moves down', { ch: 'J' }, 'queue', { type: 'queue-move', by: 1 }],
    ['K moves up', { ch: 'K' }, 'queue', { type: 'queue-move', by: -1 }],
    ['X asks to clear', { ch: 'X' }, 'queue', { type: 'queue-clear' }],
    ['z shuffles anywhere', { ch: 'z' }, 'devices', { type: 'toggle-shuffle' }],
    ['W writes the playlist', { ch: 'W' }, 'queue', { type: 'write-playlist' }],
    ['v switches the view', { ch: 'v' }, 'library', { type: 'toggle-view' }],
    ['a in the queue is nothing', { ch: 'a' }, 'queue', undefined],
    ['d in the library is nothing', { ch: 'd' }, 'library', undefined],
  ];
  for (const [name, key, focus, action] of table)
    it(name, () => assert.deepEqual(keyToAction(key, { ...base, focus }), action));

  it('y and n (or Esc) answer the clear question, and only while it is asked', () => {
    const asking: PlayerState = { ...queued('Stopped'), confirm: 'clear-queue' };
    assert.deepEqual(keyToAction({ ch: 'y' }, asking), { type: 'confirm', yes: true });
    assert.deepEqual(keyToAction({ ch: 'n' }, asking), { type: 'confirm', yes: false });
    assert.deepEqual(keyToAction({ name: 'escape' }, asking), { type: 'confirm', yes: false, cancel: true });
    assert.equal(keyToAction({ ch: 'y' }, queued('Stopped')), undefined);
  });
});

const QUEUE_ACTIONS: Action[] = [
  { type: 'queue-add', where: 'end' },
  { type: 'queue-add', where: 'next' },
  { type: 'queue-play' },
  { type: 'queue-remove' },
  { type: 'queue-move', by: 1 },
  { type: 'queue-move', by: -1 },
  { type: 'queue-clear' },
  { type: 'toggle-shuffle' },
  { type: 'next' },
  { type: 'previous' },
  { type: 'write-playlist' },
];
const rowName = (action: Action): string =>
  'where' in action
    ? `${action.type}:${action.where}`
    : 'by' in action
      ? `${action.type}${action.by > 0 ? '+' : ''}${action.by}`
      : action.type;

/**
 * In the queue panel, cursor on its second entry (song 1); Playing/Paused: that entry plays.
 * What each action gives: the play state after it, the song it plays, the queue's songs, its place.
 * (queue-add acts from the library panel: there, the cursor is on song 1 of the library.)
 */
const EXPECTED: Record<PlayState, Record<string, [PlayState, number | undefined, number[], number | undefined]>> = {
  Stopped: {
    'queue-add:end': ['Stopped', undefined, [3, 1, 5, 1], undefined],
    'queue-add:next': ['Stopped', undefined, [1, 3, 1, 5], undefined],
    'queue-play': ['Playing', 1, [3, 1, 5], 2],
    'queue-remove': ['Stopped', undefined, [3, 5], undefined],
    'queue-move+1': ['Stopped', undefined, [3, 5, 1], undefined],
    'queue-move-1': ['Stopped', undefined, [1, 3, 5], undefined],
    'queue-clear': ['Stopped', undefined, [3, 1, 5], undefined],
    'toggle-shuffle': ['Stopped', undefined, [3, 1, 5], undefined],
    next: ['Playing', 3, [3, 1, 5], 1],
    previous: ['Playing', 3, [3, 1, 5], 1],
    'write-playlist': ['Stopped', undefined, [3, 1, 5], undefined],
  },
  Playing: {
    'queue-add:end': ['Playing', undefined, [3, 1, 5, 1], 2],
    'queue-add:next': ['Playing', undefined, [3, 1, 1, 5], 2],
    'queue-play': ['Playing', 1, [3, 1, 5], 2],
    'queue-remove': ['Playing', undefined, [3, 5], 1],
    'queue-move+1': ['Playing', undefined, [3, 5, 1], 2],
    'queue-move-1': ['Playing', undefined, [1, 3, 5], 2],
    'queue-clear': ['Playing', undefined, [3, 1, 5], 2],
    'toggle-shuffle': ['Playing', undefined, [3, 1, 5], 2],
    next: ['Playing', 5, [3, 1, 5], 3],
    previous: ['Playing', 3, [3, 1, 5], 1],
    'write-playlist': ['Playing', undefined, [3, 1, 5], 2],
  },
  Paused: {
    'queue-add:end': ['Paused', undefined, [3, 1, 5, 1], 2],
    'queue-add:next': ['Paused', undefined, [3, 1, 1, 5], 2],
    'queue-play': ['Playing', 1, [3, 1, 5], 2],
    'queue-remove': ['Paused', undefined, [3, 5], 1],
    'queue-move+1': ['Paused', undefined, [3, 5, 1], 2],
    'queue-move-1': ['Paused', undefined, [1, 3, 5], 2],
    'queue-clear': ['Paused', undefined, [3, 1, 5], 2],
    'toggle-shuffle': ['Paused', undefined, [3, 1, 5], 2],
    next: ['Playing', 5, [3, 1, 5], 3],
    previous: ['Playing', 3, [3, 1, 5], 1],
    'write-playlist': ['Paused', undefined, [3, 1, 5], 2],
  },
};

describe('queue actions in every state', () => {
  for (const playState of ['Stopped', 'Playing', 'Paused'] as const) {
    for (const action of QUEUE_ACTIONS) {
      it(`${rowName(action)} while ${playState}`, () => {
        const before = queued(playState, action.type === 'queue-add' ? 'library' : 'queue');
        const { state, effects } = applyAction(before, action);
        const [playStateAfter, plays, songs, place] = EXPECTED[playState][rowName(action)] as [
          PlayState,
          number | undefined,
          number[],
          number | undefined,
        ];
        assert.equal(state.playState, playStateAfter, 'play state');
        assert.equal(played(effects), plays, 'the song played');
        assert.deepEqual(ids(state.queue), songs, 'the queue');
        assert.equal(state.queue.place, place, 'the place');
        if (action.type === 'queue-clear') assert.equal(state.confirm, 'clear-queue', 'asked first');
        if (action.type === 'write-playlist')
          assert.deepEqual(
            effects.map((e) => e.type),
            ['write-playlist'],
          );
        if (action.type === 'toggle-shuffle') assert.equal(state.queue.shuffle, true);
      });
    }
  }

  it('clears only on y; n or any other key leaves it', () => {
    const asked = applyAction(queued('Playing'), { type: 'queue-clear' }).state;
    assert.deepEqual(ids(applyAction(asked, { type: 'confirm', yes: false }).state.queue), [3, 1, 5]);
    const other = applyAction(asked, { type: 'move', by: 1 }).state;
    assert.equal(other.confirm, undefined, 'another key is a no');
    assert.deepEqual(
      ids(applyAction(other, { type: 'confirm', yes: true }).state.queue),
      [3, 1, 5],
      'a y after it is nothing',
    );
    const cleared = applyAction(asked, { type: 'confirm', yes: true }).state;
    assert.deepEqual(ids(cleared.queue), []);
    assert.equal(cleared.playState, 'Playing', 'the song plays on');
  });

  it('adds a whole album or artist from the tree', () => {
    let state: PlayerState = { ...base, libraryView: 'tree' };
    // Rows: Even Band (2, 4), Odd Band (1, 3, 5): the first is Even Band.
    state = applyAction(state, { type: 'queue-add', where: 'end' }).state;
    assert.deepEqual(ids(state.queue), [2, 4]);
  });
});

describe('the end of a song with a queue', () => {
  const end = (state: PlayerState): PlayerState => applyEvent(state, { type: 'song-ended' }).state;
  const order = (state: PlayerState, count: number): number[] => {
    const seen: number[] = [];
    for (let i = 0; i < count && state.playState === 'Playing'; i++) {
      state = end(state);
      if (state.playState === 'Playing') seen.push(state.now?.song.id as number);
    }
    return seen;
  };

  it('follows the queue, then stops at its end (loop off), the place back at the start', () => {
    const playing = queued('Playing');
    assert.deepEqual(order(playing, 5), [5]);
    const stopped = end(end(playing));
    assert.equal(stopped.playState, 'Stopped');
    assert.equal(stopped.queue.place, undefined);
    assert.equal(played(applyAction(stopped, { type: 'next' }).effects), 3, 'n starts the queue again');
  });

  it('loop all goes round the queue; loop one repeats the song, and n still moves on', () => {
    assert.deepEqual(order({ ...queued('Playing'), loop: 'all' }, 5), [5, 3, 1, 5, 3]);
    assert.deepEqual(order({ ...queued('Playing'), loop: 'one' }, 3), [1, 1, 1]);
    assert.equal(played(applyAction({ ...queued('Playing'), loop: 'one' }, { type: 'next' }).effects), 5);
  });

  it('a song from the library, with a queue: the queue goes on from its place after it', () => {
    const fromLibrary = applyAction(
      { ...queued('Playing'), focus: 'library', selected: 3 },
      { type: 'play-selected' },
    ).state;
    assert.equal(fromLibrary.now?.song.id, 4);
    assert.equal(fromLibrary.now?.entry, undefined);
    assert.equal(end(fromLibrary).now?.song.id, 5, 'the entry after the place');
  });

  it('without a queue: the library order, as before', () => {
    const playing: PlayerState = { ...base, playState: 'Playing', now: { song: song(2), position: 0 } };
    assert.equal(end(playing).now?.song.id, 3);
  });

  it('upNext says what the end of the song will play (what gapless playback prepares)', () => {
    for (const loop of ['off', 'one', 'all'] as const) {
      for (const state of [
        queued('Playing'),
        { ...queued('Playing'), queue: toggleShuffle(queued('Playing').queue) },
      ]) {
        const withLoop = { ...state, loop };
        assert.equal(upNext(withLoop)?.etag, end(withLoop).now?.song.etag, `loop ${loop}`);
      }
    }
    assert.equal(upNext(queued('Stopped')), undefined, 'nothing plays: nothing to prepare');
  });

  it('song-advanced (playback joined the next song itself) moves the state without a new play', () => {
    const playing = queued('Playing');
    const next = upNext(playing);
    const { state, effects } = applyEvent(playing, { type: 'song-advanced', song: next as never });
    assert.deepEqual(effects, []);
    assert.equal(state.now?.song.id, 5);
    assert.equal(state.now?.entry, 3);
    assert.equal(state.queue.place, 3);
  });
});

describe('shuffle', () => {
  const ten = addSongs(
    emptyQueue(7),
    Array.from({ length: 10 }, (_, i) => song(i + 1)),
    'end',
  );

  it('plays each entry once per round, a new order each round, and never one twice in a row across rounds', () => {
    let queue = toggleShuffle(ten);
    const rounds: number[][] = [];
    for (let r = 0; r < 4; r++) {
      const round: number[] = [];
      for (let i = 0; i < 10; i++) {
        const step = stepQueue(queue, 1, true);
        assert.ok(step);
        queue = step.queue;
        round.push(step.entry.song.id);
      }
      rounds.push(round);
    }
    for (const round of rounds)
      assert.deepEqual(
        [...round].sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    assert.equal(new Set(rounds.map((round) => round.join())).size, 4, 'each round its own order');
    for (let r = 1; r < rounds.length; r++) assert.notEqual(rounds[r]?.[0], rounds[r - 1]?.[9]);
    assert.notDeepEqual(rounds[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('without loop all, the round ends and so does the queue', () => {
    let queue = toggleShuffle(ten);
    for (let i = 0; i < 10; i++) queue = (stepQueue(queue, 1, false) as { queue: QueueState }).queue;
    assert.equal(stepQueue(queue, 1, false), undefined);
  });

  it('turned on while an entry plays, the round starts with it; songs added meanwhile play in this round', () => {
    const playing = { ...ten, place: 4 };
    let queue = toggleShuffle(playing);
    assert.equal(queue.order[0], 4);
    queue = addSongs(queue, [song(11)], 'end');
    queue = addSongs(queue, [song(12)], 'next');
    assert.equal(stepQueue(queue, 1, false)?.entry.song.id, 12, 'A: next in line');
    assert.ok(queue.order.includes(11));
    assert.equal(queue.order.length, 12);
  });

  it('is the same for the same seed (replayable), and is kept across a restart', () => {
    assert.deepEqual(toggleShuffle(ten).order, toggleShuffle(ten).order);
    const shuffled = { ...toggleShuffle(ten), place: 3 };
    const back = queueFromSnapshot(JSON.parse(JSON.stringify(queueSnapshot(shuffled))) as never, 1);
    assert.deepEqual(
      back.entries.map((e) => e.song),
      shuffled.entries.map((e) => e.song),
    );
    assert.deepEqual(
      back.order.map((id) => back.entries.find((e) => e.id === id)?.song.id),
      shuffled.order.map((id) => shuffled.entries.find((e) => e.id === id)?.song.id),
    );
    assert.equal(back.entries.find((e) => e.id === back.place)?.song.id, 3);
    assert.equal(back.seed, shuffled.seed);
  });
});

describe('playlists (M3U8)', () => {
  it('writes paths from the library root with #EXTINF, and reads them back', () => {
    const text = formatM3u8([song(1), song(2, { title: undefined, artist: undefined })]);
    assert.equal(
      text,
      '#EXTM3U\n#EXTINF:95,Odd Band - Song 1\nArtist/Album/01 Song 1.mp3\n#EXTINF:95,Artist/Album/02 Song 2.mp3\nArtist/Album/02 Song 2.mp3\n',
    );
    assert.deepEqual(parseM3u8(text), ['Artist/Album/01 Song 1.mp3', 'Artist/Album/02 Song 2.mp3']);
  });

  it('reads what other players write: a BOM, CRLF, ./ and backslashes, comments', () => {
    assert.deepEqual(parseM3u8('\uFEFF#EXTM3U\r\n./A/b.mp3\r\n\r\n# note\r\nC\\d.wav\r\n'), ['A/b.mp3', 'C/d.wav']);
  });

  it('--queue-file: the songs found become the queue, the others are counted', () => {
    const { state } = applyEvent(base, {
      type: 'queue-loaded',
      files: [song(4).file, 'not/there.mp3', song(2).file],
      from: 'q.m3u8',
    });
    assert.deepEqual(ids(state.queue), [4, 2]);
    assert.equal(state.message?.text, '2 songs queued from q.m3u8; 1 not in the library');
  });
});

describe('the session kept across a quit and a start', () => {
  const library = [song(1), song(2)];
  const base: PlayerState = { ...initialState('me'), library };
  it('comes back stopped where it was, its loop, volume and view, the volume told to the sink', () => {
    const playing: PlayerState = {
      ...base,
      playState: 'Playing',
      now: { song: library[1] as SongInfo, position: 42.7, entry: undefined },
      loop: 'all',
      volume: 80,
      libraryView: 'tree',
    };
    const kept = JSON.parse(JSON.stringify(sessionSnapshot(playing))) as SessionSnapshot;
    const { state, effects } = restoreSession(base, kept);
    assert.deepEqual(
      [state.playState, state.now?.song.id, state.now?.position, state.loop, state.volume, state.libraryView],
      ['Stopped', 2, 42, 'all', 80, 'tree'],
    );
    assert.deepEqual(effects, [{ type: 'volume', volume: 80 }]);
  });
  it('leaves what a hand-edited file got wrong at the defaults', () => {
    const { state, effects } = restoreSession(base, {
      loop: 'sometimes' as never,
      volume: 1000,
      view: 'grid' as never,
      song: { nonsense: true } as never,
      position: -5,
    });
    assert.deepEqual([state.loop, state.volume, state.libraryView, state.now], ['off', 100, 'list', undefined]);
    assert.deepEqual(effects, []);
  });
});
