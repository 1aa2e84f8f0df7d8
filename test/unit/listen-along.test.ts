/** Listening along, the pure parts: the playback record, the clock estimate, nudging frames, and following in the state machine (every leader change, every key of one's own). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPlayback, parsePlayback, positionAt, type PlaybackRecord } from '../../common/protocol/playback.js';
import { parseDeviceFields, deviceFields, type DeviceInfo } from '../../common/protocol/records.js';
import { nudgeFrames } from '../../tui/playback/frame-nudge.js';
import { FrameLedger } from '../../tui/playback/frame-ledger.js';
import type { Playback } from '../../tui/playback/playback.js';
import { SyncFollower } from '../../tui/listen-along/sync-follower.js';
import { upNext } from '../../tui/state/advance.js';
import { keyToAction } from '../../tui/state/keys.js';
import { initialState, type PlayerState } from '../../tui/state/model.js';
import { applyAction } from '../../tui/state/update.js';
import { ClockOffset } from '../../tui/listen-along/clock-offset.js';
import { song } from '../helpers/songs.js';
import type { Action, Effect } from '../../tui/state/actions.js';
import { applyEvent } from '../../tui/state/events.js';

describe('the playback record', () => {
  const table: Array<[string[], PlaybackRecord | RegExp]> = [
    [['12', '61234', 'playing', '5012345.500'], { song: 12, positionMs: 61234, playing: true, atMs: 5012345.5 }],
    [['1', '0', 'paused', '1763790000123.456'], { song: 1, positionMs: 0, playing: false, atMs: 1763790000123.456 }],
    [['0', '1', 'playing', '1'], /song id/],
    [['1', '-5', 'playing', '1'], /whole milliseconds/],
    [['1', '1.5', 'playing', '1'], /whole milliseconds/],
    [['1', '1', 'stopped', '1'], /'playing' or 'paused'/],
    [['1', '1', 'playing', 'now'], /clock/],
    [['1', '1', 'playing', '1e9'], /clock/],
    [['1', '1', 'playing'], /att playback/],
  ];
  for (const [words, expected] of table) {
    it(`reads ${words.join(' ')}`, () => {
      const parsed = parsePlayback(words);
      if (expected instanceof RegExp) assert.match(parsed as string, expected);
      else {
        assert.deepEqual(parsed, expected);
        assert.deepEqual(parsePlayback(formatPlayback(expected).split(' ')), expected, 'written and read back');
      }
    });
  }

  it('places a playing record in time; a paused one stays', () => {
    assert.equal(positionAt({ song: 1, positionMs: 1000, playing: true, atMs: 500 }, 2500), 3000);
    assert.equal(positionAt({ song: 1, positionMs: 1000, playing: false, atMs: 500 }, 2500), 1000);
  });

  it('rides in the device record as an extension (older clients ignore it)', () => {
    const device: DeviceInfo = {
      name: 'den',
      address: '1.2.3.4:5',
      status: 'idle',
      connected: 'x',
      updated: 'y',
      playback: { song: 3, positionMs: 10, playing: true, atMs: 99.5 },
      follows: 'kitchen',
    };
    assert.deepEqual(parseDeviceFields(new Map(deviceFields(device).map(([k, v]) => [k, String(v)]))), device);
  });
});

describe('the clock offset estimate', () => {
  it('is the median offset of the quicker round trips', () => {
    const clock = new ClockOffset();
    // The daemon is 1000 ms ahead; round trips of 2 ms, and some slow ones delayed on one leg.
    for (let i = 0; i < 10; i++) clock.add({ sentAt: i * 100, receivedAt: i * 100 + 2, daemonMs: i * 100 + 1 + 1000 });
    for (let i = 0; i < 5; i++) clock.add({ sentAt: i * 100, receivedAt: i * 100 + 80, daemonMs: i * 100 + 75 + 1000 });
    assert.equal(clock.offset, 1000);
    assert.equal(clock.daemonAt(5000), 6000);
  });

  it('knows nothing before the first round trip, and refuses a round trip that ends before it starts', () => {
    const clock = new ClockOffset();
    assert.equal(clock.offset, undefined);
    clock.add({ sentAt: 10, receivedAt: 5, daemonMs: 100 });
    assert.equal(clock.count, 0);
  });
});

describe('nudging frames', () => {
  const frames = (...values: number[]): Buffer => Buffer.from(Int16Array.from(values).buffer);
  const values = (pcm: Buffer): number[] => [...new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2)];

  it('drops or repeats single frames, spread evenly', () => {
    assert.deepEqual(values(nudgeFrames(frames(1, 2, 3, 4, 5, 6, 7, 8), 2, -2)), [1, 2, 4, 5, 6, 8]);
    assert.deepEqual(values(nudgeFrames(frames(1, 2, 3, 4), 2, 1)), [1, 2, 3, 3, 4]);
    assert.deepEqual(values(nudgeFrames(frames(1, 2, 3, 4), 2, 0)), [1, 2, 3, 4]);
  });

  it('a ledger corrects what was asked at most 1% of a piece at a time, counting what it already wrote', () => {
    const ledger = new FrameLedger();
    const piece = Buffer.alloc(10000 * 4);
    ledger.correct(-0.01, 0, 44100); // behind by 441 frames: drop them
    let written = 0;
    for (let i = 0; i < 10; i++) written += ledger.write(piece, 4).length / 4;
    assert.equal(written, 100000 - 441, 'all of it, at most 100 a piece');
    assert.equal(ledger.deltaAt(ledger.written), -441);
    // Asked again before any of it played: nothing more to do.
    ledger.correct(-0.01, 0, 44100);
    assert.equal(ledger.write(piece, 4).length, piece.length);
  });

  it("a start's error is taken at 5% of a piece, and kept so by the checks that follow", () => {
    const piece = Buffer.alloc(4410 * 4); // 100 ms
    const dropped = (ledger: FrameLedger): number => 4410 - ledger.write(piece, 4).length / 4;
    const quick = new FrameLedger();
    quick.correct(-0.03, 0, 44100, true); // 1323 frames behind
    assert.equal(dropped(quick), 220);
    quick.correct(-0.03, 0, 44100); // the next check, nothing played yet: still 5%
    assert.equal(dropped(quick), 220);
    let pieces = 2;
    while (quick.deltaAt(quick.written) > -1323) {
      dropped(quick);
      pieces++;
    }
    assert.equal(pieces, 7, 'all 30 ms in 0.7 s of sound');
    assert.equal(quick.deltaAt(quick.written), -1323);
    const plain = new FrameLedger();
    plain.correct(-0.03, 0, 44100);
    assert.equal(dropped(plain), 44, "an error that is not a start's: 1%");
  });
});

const library = [song(1), song(2), song(3)];
const leaderAt = (record: PlaybackRecord | undefined): DeviceInfo => ({
  name: 'den',
  address: '',
  status: 'x',
  connected: '',
  updated: '',
  playback: record,
});
const base: PlayerState = {
  ...initialState('me'),
  library,
  connection: 'online',
  devices: [leaderAt({ song: 2, positionMs: 30_000, playing: true, atMs: 1000 })],
  focus: 'devices',
};
const kinds = (effects: Effect[]): string =>
  effects
    .map((e) =>
      e.type === 'play'
        ? `play:${e.song.id}@${e.at}`
        : e.type === 'follow-set'
          ? `follow-set:${e.leader ?? '-'}`
          : e.type === 'seek'
            ? `seek@${e.at}`
            : e.type,
    )
    .join(',');

describe('following in the state machine', () => {
  it('Enter on a device that publishes its playback follows it; on an older one plays once from its status', () => {
    assert.deepEqual(keyToAction({ name: 'return' }, base), { type: 'follow-device' });
    assert.deepEqual(keyToAction({ name: 'return' }, { ...base, devices: [leaderAt(undefined)] }), {
      type: 'follow-device',
    });
    const { state, effects } = applyAction(base, { type: 'follow-device' });
    assert.deepEqual(state.follow, { leader: 'den' });
    assert.equal(kinds(effects), 'follow-set:den,follow-target,play:2@30');
  });

  it('follows a device whose record has not come yet from its status, and its record puts it in step when it comes', () => {
    const file = library[1]?.file as string;
    const starting = { ...leaderAt(undefined), status: `playing ${file} 0:12/3:00` };
    const first = applyAction({ ...base, devices: [starting] }, { type: 'follow-device' });
    assert.deepEqual(first.state.follow, { leader: 'den' });
    assert.match(first.state.message?.text ?? '', /^following den/);
    assert.equal(kinds(first.effects), 'follow-set:den,play:2@12');
    // The record a moment later: only the target (the same song plays), and the message stays.
    const record = { song: 2, positionMs: 13_000, playing: true, atMs: 2000 };
    const then = applyEvent(first.state, {
      type: 'devices',
      devices: [{ ...starting, playback: record }],
      daemonNow: 2000,
    });
    assert.equal(kinds(then.effects), 'follow-target');
    assert.match(then.state.message?.text ?? '', /^following den/);
    // One that plays nothing and says nothing is not followed.
    const idle = applyAction(
      { ...base, devices: [{ ...leaderAt(undefined), status: 'idle' }] },
      { type: 'follow-device' },
    );
    assert.equal(idle.state.follow, undefined);
    assert.match(idle.state.message?.text ?? '', /not playing anything/);
  });

  const following = applyAction(base, { type: 'follow-device' }).state;
  const leader = (record: PlaybackRecord | undefined, now = 2000): { state: PlayerState; effects: Effect[] } =>
    applyEvent(following, { type: 'devices', devices: [leaderAt(record)], daemonNow: now });

  const changes: Array<[string, PlaybackRecord | undefined, string, PlayerState['playState']]> = [
    [
      'plays on (a new record, the same song): only the target',
      { song: 2, positionMs: 31_000, playing: true, atMs: 2000 },
      'follow-target',
      'Playing',
    ],
    [
      'seeks: the target (the follower in playback jumps)',
      { song: 2, positionMs: 90_000, playing: true, atMs: 2000 },
      'follow-target',
      'Playing',
    ],
    [
      'changes song: plays it where the leader is',
      { song: 3, positionMs: 500, playing: true, atMs: 1500 },
      'follow-target,play:3@1',
      'Playing',
    ],
    [
      'pauses: seek to its place and pause',
      { song: 2, positionMs: 40_000, playing: false, atMs: 1900 },
      'follow-target,seek@40,pause',
      'Paused',
    ],
    ['stops: stop', undefined, 'stop', 'Stopped'],
    ['plays a song not in the library: said', { song: 99, positionMs: 0, playing: true, atMs: 2000 }, '', 'Playing'],
  ];
  for (const [name, record, expected, playState] of changes) {
    it(`the leader ${name}`, () => {
      const { state, effects } = leader(record);
      assert.equal(kinds(effects), expected);
      assert.equal(state.playState, playState);
      assert.deepEqual(state.follow, { leader: 'den' });
    });
  }

  it('the leader resumes after a pause: played from where it is', () => {
    const paused = applyEvent(following, {
      type: 'devices',
      devices: [leaderAt({ song: 2, positionMs: 40_000, playing: false, atMs: 1900 })],
      daemonNow: 2000,
    }).state;
    const { state, effects } = applyEvent(paused, {
      type: 'devices',
      devices: [leaderAt({ song: 2, positionMs: 40_000, playing: true, atMs: 3000 })],
      daemonNow: 3500,
    });
    assert.equal(kinds(effects), 'follow-target,play:2@40.5');
    assert.equal(state.playState, 'Playing');
  });

  it('the leader goes away: following ends, said', () => {
    const { state, effects } = applyEvent(following, { type: 'devices', devices: [], daemonNow: 2000 });
    assert.equal(state.follow, undefined);
    assert.equal(kinds(effects), 'follow-set:-,follow-end');
    assert.match(state.message?.text ?? '', /den left/);
  });

  const own: Action[] = [
    { type: 'play-selected' },
    { type: 'toggle-pause' },
    { type: 'play' },
    { type: 'pause' },
    { type: 'stop' },
    { type: 'restart' },
    { type: 'next' },
    { type: 'previous' },
    { type: 'seek', by: 5 },
    { type: 'seek-to', at: 3 },
    { type: 'queue-play' },
    { type: 'toggle-radio' },
    { type: 'play-device' },
    { type: 'unfollow' },
  ];
  for (const action of own) {
    it(`${action.type} of one's own ends following first`, () => {
      const { state, effects } = applyAction({ ...following, focus: 'library' }, action);
      assert.equal(state.follow, undefined);
      assert.ok(kinds(effects).startsWith('follow-set:-,follow-end'), kinds(effects));
    });
  }

  it('keys that are not playback keep following (moving, volume, the queue, help)', () => {
    for (const action of [
      { type: 'move', by: 1 },
      { type: 'volume', by: 5 },
      { type: 'queue-add', where: 'end' },
      { type: 'help' },
      { type: 'focus-next' },
    ] as Action[]) {
      assert.deepEqual(applyAction(following, action).state.follow, { leader: 'den' }, action.type);
    }
  });

  it('Esc stops following, and only then means that', () => {
    assert.deepEqual(keyToAction({ name: 'escape' }, following), { type: 'unfollow' });
    assert.equal(keyToAction({ name: 'escape' }, base), undefined);
  });

  it("the end of a song while following waits for the leader (no next song of one's own, none prepared)", () => {
    const playing = leader({ song: 2, positionMs: 94_000, playing: true, atMs: 2000 }).state;
    assert.equal(upNext(playing), undefined);
    const { state, effects } = applyEvent(playing, { type: 'song-ended' });
    assert.equal(state.playState, 'Stopped');
    assert.deepEqual(effects, []);
    assert.deepEqual(state.follow, { leader: 'den' });
  });

  it('--follow waits for its device in the device list, follows it once there, and then asks no more', () => {
    const waiting: PlayerState = { ...initialState('me', true, 1, 'den'), library, connection: 'online' };
    const without = applyEvent(waiting, { type: 'devices', devices: [{ ...leaderAt(undefined), name: 'attic' }] });
    assert.equal(without.state.follow, undefined);
    assert.equal(without.state.followAtStart, 'den', 'still waited for');
    const record = { song: 2, positionMs: 30_000, playing: true, atMs: 1000 };
    const arrived = applyEvent(without.state, { type: 'devices', devices: [leaderAt(record)] });
    assert.deepEqual(arrived.state.follow, { leader: 'den' });
    assert.equal(arrived.state.followAtStart, undefined);
    assert.equal(kinds(arrived.effects), 'follow-set:den,follow-target,play:2@30');
    const unfollowed = applyAction(arrived.state, { type: 'unfollow' }).state;
    const again = applyEvent(unfollowed, { type: 'devices', devices: [leaderAt({ ...record, positionMs: 31_000 })] });
    assert.equal(again.state.follow, undefined, 'not followed again after Esc');
  });

  it('--follow names the device', () => {
    const { state } = applyAction({ ...base, focus: 'library' }, { type: 'follow-device', name: 'den' });
    assert.deepEqual(state.follow, { leader: 'den' });
    assert.match(
      applyAction(base, { type: 'follow-device', name: 'attic' }).state.message?.text ?? '',
      /no device called attic/,
    );
  });
});

describe('the sync follower', () => {
  /** Playback as the follower sees it: what it was asked to play, and where it says it is. */
  function fakePlayback(): { playback: Playback; plays: Array<{ at: number; align?: () => number | undefined }> } {
    const plays: Array<{ at: number; align?: () => number | undefined }> = [];
    const playback = {
      play: (_song: unknown, at: number, align?: () => number | undefined) => plays.push({ at, align }),
      position: () => 0,
      song: undefined,
      isPaused: false,
      correct: () => {},
    };
    return { playback: playback as unknown as Playback, plays };
  }

  it('starts where the leader will be, --latency-ms earlier still, and places the first sound again as it is written', () => {
    const { playback, plays } = fakePlayback();
    let daemonNow = 10_000;
    const follower = new SyncFollower(playback, () => daemonNow, 0.1);
    follower.follow(song(2), { song: 2, positionMs: 30_000, playing: true, atMs: 9_000 });
    follower.play(song(2), 0);
    // The leader is at 31 s; this device is heard 100 ms late; a start's own latency is guessed at 5 ms.
    assert.ok(Math.abs((plays[0]?.at ?? 0) - 31.105) < 1e-9, String(plays[0]?.at));
    daemonNow = 10_500; // the song took half a second to fetch
    assert.ok(Math.abs((plays[0]?.align?.() ?? 0) - 31.605) < 1e-9, String(plays[0]?.align?.()));
    follower.end();
    assert.equal(plays[0]?.align?.(), undefined, 'following ended: nothing to align to');
  });

  it('a paused leader: the place it paused at, no lead, no alignment', () => {
    const { playback, plays } = fakePlayback();
    const follower = new SyncFollower(playback, () => 10_000, 0);
    follower.follow(song(2), { song: 2, positionMs: 30_000, playing: false, atMs: 9_000 });
    follower.play(song(2), 0);
    follower.end();
    assert.equal(plays[0]?.at, 30);
    assert.equal(plays[0]?.align?.(), undefined);
  });
});
