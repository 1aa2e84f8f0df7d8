/** Remote control in the player's state machine: driving another device (control.ts) and being driven (remote.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceInfo } from '../../common/protocol/records.js';
import type { RemoteCommand } from '../../common/protocol/remote.js';
import type { Effect } from '../../tui/state/actions.js';
import { applyEvent } from '../../tui/state/events.js';
import { initialState, type PlayerState } from '../../tui/state/model.js';
import { addSongs } from '../../tui/state/queue.js';
import { playingQueuePos } from '../../tui/state/selectors.js';
import { applyAction } from '../../tui/state/update.js';
import { song } from '../helpers/songs.js';

const library = [song(1), song(2), song(3)];
const device = (name: string, extra: Partial<DeviceInfo> = {}): DeviceInfo => ({
  name,
  address: '127.0.0.1:1',
  status: 'idle',
  connected: '',
  updated: '',
  ...extra,
});
const devices = [
  device('kitchen', { control: true, volume: 100, queueLength: 4 }),
  device('me', { control: true }),
  device('shy', { control: false }),
  device('old'),
];
const base: PlayerState = { ...initialState('me'), library, connection: 'online', devices, focus: 'devices' };
const driving: PlayerState = { ...base, control: 'kitchen', focus: 'library', selected: 1 };
const remoteOf = (effects: Effect[]): RemoteCommand[] =>
  effects.flatMap((effect) => (effect.type === 'remote' ? [effect.command] : []));

describe('driving another device', () => {
  it('D takes the selected device, if it takes remote control; on this one or Esc, the keys are here again', () => {
    assert.equal(applyAction({ ...base, selectedDevice: 0 }, { type: 'control-device' }).state.control, 'kitchen');
    assert.equal(applyAction({ ...driving, selectedDevice: 1 }, { type: 'control-device' }).state.control, undefined);
    for (const [at, why] of [
      [2, /shy refuses remote control/],
      [3, /old does not take remote control/],
    ] as const) {
      const refused = applyAction({ ...base, selectedDevice: at }, { type: 'control-device' }).state;
      assert.equal(refused.control, undefined);
      assert.match(refused.message?.text ?? '', why);
    }
    assert.equal(applyAction(driving, { type: 'release-control' }).state.control, undefined);
  });

  it('turns the playback keys into commands for it, and plays nothing here', () => {
    const table: Array<[Parameters<typeof applyAction>[1], RemoteCommand[]]> = [
      [{ type: 'toggle-pause' }, [{ action: 'toggle' }]],
      [{ type: 'stop' }, [{ action: 'stop' }]],
      [{ type: 'next' }, [{ action: 'next' }]],
      [{ type: 'previous' }, [{ action: 'previous' }]],
      [{ type: 'restart' }, [{ action: 'seek', seconds: 0 }]],
      [{ type: 'seek-to', at: 12.5 }, [{ action: 'seek', seconds: 12.5 }]],
      [{ type: 'volume', by: -5 }, [{ action: 'volume', percent: 95 }]],
      [
        { type: 'play-selected' },
        [
          { action: 'add', songs: [library[1]?.file as string] },
          { action: 'start', pos: 4, positionMs: 0 },
        ],
      ],
      [{ type: 'queue-add', where: 'end' }, [{ action: 'add', songs: [library[1]?.file as string] }]],
    ];
    for (const [action, commands] of table) {
      const { state, effects } = applyAction(driving, action);
      assert.deepEqual(remoteOf(effects), commands, action.type);
      assert.equal(state.playState, 'Stopped', `${action.type} plays nothing here`);
    }
    assert.deepEqual(applyAction(driving, { type: 'seek', by: 30 }).effects, [
      { type: 'remote-seek-by', device: 'kitchen', by: 30 },
    ]);
  });

  it('counts volume keys pressed before the record says the last one', () => {
    const once = applyAction(driving, { type: 'volume', by: -5 }).state;
    assert.deepEqual(remoteOf(applyAction(once, { type: 'volume', by: -5 }).effects), [
      { action: 'volume', percent: 90 },
    ]);
  });

  it('shows the queue the driven device says, fetched when D takes it and when its record says it moved', () => {
    const saying = devices.map((d) => (d.name === 'kitchen' ? { ...d, queueVersion: 7 } : d));
    const taken = applyAction({ ...base, devices: saying, selectedDevice: 0 }, { type: 'control-device' });
    assert.deepEqual(taken.effects, [{ type: 'fetch-driven-queue', device: 'kitchen' }]);
    const files = [library[2]?.file as string, 'gone/from-here.mp3', library[0]?.file as string];
    const shown = applyEvent(taken.state, { type: 'driven-queue', device: 'kitchen', version: 7, files }).state;
    assert.deepEqual(
      shown.drivenQueue?.entries.map((entry) => entry.song?.id ?? entry.file),
      [3, 'gone/from-here.mp3', 1],
    );
    assert.equal(shown.drivenQueue?.missing, 1, 'a song this library lacks is counted, and keeps its place');
    // So the keys act on the device's own positions: the entry after the one lacking is its third.
    const onLast: PlayerState = { ...shown, focus: 'queue', selectedEntry: 2 };
    assert.deepEqual(remoteOf(applyAction(onLast, { type: 'queue-play' }).effects), [
      { action: 'start', pos: 2, positionMs: 0 },
    ]);
    assert.deepEqual(remoteOf(applyAction({ ...onLast, selectedEntry: 1 }, { type: 'queue-remove' }).effects), [
      { action: 'delete', pos: 1 },
    ]);
    // The same version listed again: nothing fetched; a new one: fetched.
    const again = saying.map((d) => ({ ...d, status: 'playing' }));
    assert.deepEqual(applyEvent(shown, { type: 'devices', devices: again }).effects, []);
    const moved = again.map((d) => (d.name === 'kitchen' ? { ...d, queueVersion: 8 } : d));
    assert.deepEqual(applyEvent(shown, { type: 'devices', devices: moved }).effects, [
      { type: 'fetch-driven-queue', device: 'kitchen' },
    ]);
    // An older player says no queue: nothing to fetch.
    assert.deepEqual(applyAction({ ...base, selectedDevice: 0 }, { type: 'control-device' }).effects, []);
  });

  it("the queue panel's keys act on the driven device's queue by position; the cursor moves with the entry", () => {
    const drivenQueue = {
      device: 'kitchen',
      version: 1,
      entries: library.map((song) => ({ file: song.file, song })),
      missing: 0,
    };
    const atQueue: PlayerState = { ...driving, drivenQueue, focus: 'queue', selectedEntry: 1 };
    const table: Array<[Parameters<typeof applyAction>[1], RemoteCommand[]]> = [
      [{ type: 'queue-play' }, [{ action: 'start', pos: 1, positionMs: 0 }]],
      [{ type: 'queue-remove' }, [{ action: 'delete', pos: 1 }]],
      [{ type: 'queue-move', by: 1 }, [{ action: 'move', from: 1, to: 2 }]],
      [{ type: 'queue-move', by: -1 }, [{ action: 'move', from: 1, to: 0 }]],
      [{ type: 'queue-clear' }, [{ action: 'clear' }]],
    ];
    for (const [action, commands] of table) {
      const update = applyAction(atQueue, action);
      assert.deepEqual(remoteOf(update.effects), commands, action.type);
      assert.deepEqual(update.state.queue, atQueue.queue, `${action.type}: this device's queue untouched`);
    }
    assert.equal(applyAction(atQueue, { type: 'queue-move', by: 1 }).state.selectedEntry, 2);
    assert.deepEqual(
      remoteOf(applyAction({ ...atQueue, selectedEntry: 2 }, { type: 'queue-move', by: 1 }).effects),
      [],
    );
    // The cursor goes over the driven queue, not this device's (empty) one.
    assert.equal(applyAction(atQueue, { type: 'move', by: 1 }).state.selectedEntry, 2);
    assert.equal(applyAction(atQueue, { type: 'release-control' }).state.selectedEntry, 0, 'back on this queue');
  });

  it('lets go of a device that left', () => {
    const next = applyEvent(driving, { type: 'devices', devices: devices.slice(1) }).state;
    assert.equal(next.control, undefined);
    assert.match(next.message?.text ?? '', /kitchen is gone/);
  });
});

describe('handing the music to another device', () => {
  const playing = applyEvent(
    { ...base, queue: addSongs(base.queue, library, 'end') },
    { type: 'remote', from: 'desk', command: { action: 'start', pos: 1, positionMs: 5000 } },
  ).state;
  const onKitchen: PlayerState = { ...playing, selectedDevice: 0 };

  it('S sends what plays here to the selected device, and the keys drive it there', () => {
    const { state, effects } = applyAction(onKitchen, { type: 'handoff', way: 'there' });
    assert.deepEqual(effects, [{ type: 'send-playback', to: 'kitchen' }]);
    assert.equal(state.control, 'kitchen');
    assert.match(state.message?.text ?? '', /sending the music to kitchen/);
    const idle = applyAction({ ...base, selectedDevice: 0 }, { type: 'handoff', way: 'there' });
    assert.deepEqual(idle.effects, []);
    assert.match(idle.state.message?.text ?? '', /nothing plays here/);
  });

  it('M asks the selected device to send its music here; S while driving asks the driven one to send it on', () => {
    const here = applyAction(onKitchen, { type: 'handoff', way: 'here' });
    assert.deepEqual(here.effects, [{ type: 'remote', device: 'kitchen', command: { action: 'send', to: 'me' } }]);
    assert.equal(here.state.control, undefined);
    const fromDriven = applyAction(
      { ...driving, focus: 'devices', selectedDevice: 1 },
      { type: 'handoff', way: 'there' },
    );
    assert.deepEqual(fromDriven.effects, [
      { type: 'remote', device: 'kitchen', command: { action: 'send', to: 'me' } },
    ]);
    assert.equal(fromDriven.state.control, undefined, 'the music came here: so do the keys');
  });

  it('refuses a device that does not take remote control, and one that has the music already', () => {
    for (const [selectedDevice, way, why] of [
      [2, 'there', /shy refuses remote control/],
      [3, 'here', /old does not take remote control/],
      [1, 'here', /plays here already/],
      [0, 'there', /on kitchen already/],
    ] as const) {
      const state = way === 'there' && selectedDevice === 0 ? { ...driving, focus: 'devices' as const } : playing;
      const refused = applyAction({ ...state, selectedDevice }, { type: 'handoff', way });
      assert.deepEqual(refused.effects, []);
      assert.match(refused.state.message?.text ?? '', why);
    }
  });

  it('sends when another device asks it to, and stops once the receiver plays', () => {
    const asked = applyEvent(playing, { type: 'remote', from: 'desk', command: { action: 'send', to: 'bedroom' } });
    assert.deepEqual(asked.effects, [{ type: 'send-playback', to: 'bedroom' }]);
    const nothing = applyEvent(base, { type: 'remote', from: 'desk', command: { action: 'send', to: 'bedroom' } });
    assert.deepEqual(nothing.effects, []);
    assert.match(nothing.state.message?.text ?? '', /none plays here/);
    const placed = applyEvent(
      { ...base, queue: addSongs(base.queue, library, 'end') },
      { type: 'remote', from: 'kitchen', command: { action: 'start', pos: 2, positionMs: 61_000, atMs: 5000.5 } },
    );
    assert.deepEqual(placed.effects[0], {
      type: 'play',
      song: library[2],
      at: 61,
      inStep: { positionMs: 61_000, atMs: 5000.5 },
    });
    const handed = applyEvent(playing, { type: 'handed-off', to: 'bedroom', song: library[1]?.id as number });
    assert.equal(handed.state.playState, 'Stopped');
    assert.equal(handed.state.queue.entries.length, 3, 'its queue stays');
    assert.match(handed.state.message?.text ?? '', /playing on bedroom now/);
    const chosenSince = applyEvent(playing, { type: 'handed-off', to: 'bedroom', song: library[0]?.id as number });
    assert.equal(chosenSince.state.playState, 'Playing', 'a song chosen here since the handoff plays on');
  });

  it('B asks the selected device to play along with what plays here, or with the device driven; the keys stay', () => {
    const here = applyAction(onKitchen, { type: 'handoff', way: 'both' });
    assert.deepEqual(here.effects, [
      { type: 'remote', device: 'kitchen', command: { action: 'follow', leader: 'me' } },
    ]);
    assert.equal(here.state.control, undefined);
    assert.equal(here.state.playState, 'Playing', 'this one plays on');
    assert.match(here.state.message?.text ?? '', /kitchen plays along with this device/);
    const kitchenPlays = device('kitchen', {
      control: true,
      status: `playing ${library[0]?.file as string} 0:10/3:00`,
    });
    const withBedroom: PlayerState = {
      ...driving,
      focus: 'devices',
      devices: [kitchenPlays, ...devices.slice(1), device('bedroom', { control: true })],
      selectedDevice: 4,
    };
    const fromDriven = applyAction(withBedroom, { type: 'handoff', way: 'both' });
    assert.deepEqual(fromDriven.effects, [
      { type: 'remote', device: 'bedroom', command: { action: 'follow', leader: 'kitchen' } },
    ]);
    assert.equal(fromDriven.state.control, 'kitchen');
    // B on this device while driving the kitchen: this one listens along with it, as Enter on it would.
    const alongHere = applyAction({ ...withBedroom, selectedDevice: 1 }, { type: 'handoff', way: 'both' });
    assert.equal(alongHere.state.follow?.leader, 'kitchen');
    assert.deepEqual(remoteOf(alongHere.effects), []);
  });

  it('B refuses a device that does not take remote control, the device that has the music, and nothing to play', () => {
    for (const [state, selectedDevice, why] of [
      [playing, 2, /shy refuses remote control/],
      [playing, 3, /old does not take remote control/],
      [playing, 1, /me plays it already/],
      [{ ...driving, focus: 'devices' as const }, 0, /kitchen plays it already/],
      [base, 0, /nothing plays here/],
    ] as const) {
      const refused = applyAction({ ...state, selectedDevice }, { type: 'handoff', way: 'both' });
      assert.deepEqual(refused.effects, []);
      assert.match(refused.state.message?.text ?? '', why);
    }
  });
});

describe('the queue entry a player says it plays (att player pos)', () => {
  it('is the entry, not the song: a song queued twice is told apart; none while stopped', () => {
    const twice: PlayerState = { ...base, queue: addSongs(base.queue, [song(1), song(2), song(1)], 'end') };
    const third = applyEvent(twice, {
      type: 'remote',
      from: 'desk',
      command: { action: 'start', pos: 2, positionMs: 0 },
    }).state;
    assert.equal(playingQueuePos(third), 2);
    assert.equal(playingQueuePos(applyAction(third, { type: 'stop' }).state), null);
    assert.equal(playingQueuePos(twice), null, 'nothing played yet');
  });
});

describe('driven by another device', () => {
  const queued: PlayerState = { ...base, queue: addSongs(base.queue, library, 'end') };
  const remote = (state: PlayerState, command: RemoteCommand) =>
    applyEvent(state, { type: 'remote', from: 'desk', command });

  it('plays the songs it is sent, those it has not skipped and said', () => {
    const { state, effects } = remote(base, { action: 'play', songs: [library[2]?.file as string, 'gone.mp3'] });
    assert.deepEqual(
      state.queue.entries.map((entry) => entry.song.file),
      [library[2]?.file],
    );
    assert.equal(effects[0]?.type, 'play');
    assert.match(state.message?.text ?? '', /desk: playing 1 song; 1 song not in the library/);
  });

  it('listens along with the device it is told to, as Enter on it would; a device not listed is said', () => {
    const kitchenPlays = device('kitchen', {
      control: true,
      status: `playing ${library[0]?.file as string} 0:10/3:00`,
    });
    const state: PlayerState = { ...base, devices: [kitchenPlays, ...devices.slice(1)] };
    const along = remote(state, { action: 'follow', leader: 'kitchen' });
    assert.equal(along.state.follow?.leader, 'kitchen');
    assert.ok(along.effects.some((effect) => effect.type === 'follow-set'));
    assert.match(along.state.message?.text ?? '', /desk: playing along with kitchen/);
    const gone = remote(state, { action: 'follow', leader: 'attic' });
    assert.equal(gone.state.follow, undefined);
    assert.match(gone.state.message?.text ?? '', /no device called attic/);
    // A playback command of the driver's own ends it, as a key of one's own does.
    const paused = remote(along.state, { action: 'pause' });
    assert.equal(paused.state.follow, undefined);
  });

  it('moves, removes and clears queue entries by position, and plays one from a place', () => {
    const moved = remote(queued, { action: 'move', from: 2, to: 0 }).state;
    assert.deepEqual(
      moved.queue.entries.map((entry) => entry.song.id),
      [3, 1, 2],
    );
    assert.equal(remote(queued, { action: 'delete', pos: 1 }).state.queue.entries.length, 2);
    assert.match(remote(queued, { action: 'delete', pos: 9 }).state.message?.text ?? '', /not there/);
    const started = remote(queued, { action: 'start', pos: 1, positionMs: 20_000 });
    assert.deepEqual(started.effects[0], { type: 'play', song: library[1], at: 20 });
    const cleared = remote(started.state, { action: 'clear' });
    assert.equal(cleared.state.queue.entries.length, 0);
    assert.equal(cleared.state.playState, 'Stopped');
    assert.deepEqual(
      cleared.effects.map((effect) => effect.type),
      ['stop'],
    );
  });

  it('acts here even while its own keys drive another device', () => {
    const playing = remote({ ...queued, control: 'kitchen' }, { action: 'start', pos: 0, positionMs: 0 }).state;
    const paused = remote(playing, { action: 'pause' });
    assert.equal(paused.state.playState, 'Paused');
    assert.equal(paused.state.control, 'kitchen');
    assert.deepEqual(
      paused.effects.map((effect) => effect.type),
      ['pause'],
    );
  });

  it('pauses, seeks and sets its volume as its keys would', () => {
    const playing = remote(queued, { action: 'start', pos: 0, positionMs: 0 }).state;
    assert.equal(remote(playing, { action: 'pause' }).state.playState, 'Paused');
    assert.deepEqual(remote(playing, { action: 'volume', percent: 30 }).effects, [{ type: 'volume', volume: 30 }]);
    assert.deepEqual(remote(playing, { action: 'seek', seconds: 10 }).effects[0], { type: 'seek', at: 10 });
  });
});
