/**
 * Driving another device (docs/protocol.md, Remote control): `D` on a device in the devices panel
 * points the playback keys at it, as ncmpcpp's are when pointed at another MPD; each key becomes a
 * command the daemon hands to that device, and what it then does comes back in its record. Esc
 * points them at this device again. `M` and `S` move the music between devices (a handoff); `B` plays
 * it on the selected device too, listening along. Pure.
 */
import type { DeviceInfo, SongInfo } from '../../common/protocol/records.js';
import type { RemoteCommand } from '../../common/protocol/remote.js';
import type { Action, ControlAction, Effect, Update } from './actions.js';
import { rowSongs } from './library-tree.js';
import { followAction } from './listen-along.js';
import type { PlayerState } from './model.js';
import { clamp } from './play.js';
import { drivenQueueShown, selectedRow } from './selectors.js';

/** The keys that act on the driven device instead of this one. */
export const DRIVEN: ReadonlySet<Action['type']> = new Set<Action['type']>([
  'toggle-pause',
  'play',
  'pause',
  'stop',
  'restart',
  'next',
  'previous',
  'seek',
  'seek-to',
  'volume',
  'set-volume',
  'play-selected',
  'queue-add',
  'queue-play',
  'queue-remove',
  'queue-move',
  'queue-clear',
]);

/** The device's queue for the queue panel, when it says one (a newer player). */
const fetchQueue = (device: DeviceInfo): Effect[] =>
  device.queueVersion === undefined ? [] : [{ type: 'fetch-driven-queue', device: device.name }];

const say = (state: PlayerState, text: string, error = false): PlayerState => ({
  ...state,
  message: { text, error },
});

/** Why a device cannot be driven or sent music, or undefined when it can. */
function refusal(device: DeviceInfo): string | undefined {
  if (device.control === true) return undefined;
  return `${device.name} ${device.control === false ? 'refuses remote control' : 'does not take remote control (an older player?)'}`;
}

/**
 * `B` on a device: what plays (here, or on the device driven) plays there too, in step: the device
 * listens along with it, as Enter on the player makes this one do. The keys stay where they were.
 */
function bothPlay(state: PlayerState, chosen: DeviceInfo): Update {
  const leader = state.control ?? state.deviceName;
  if (chosen.name === leader) return { state: say(state, `${leader} plays it already`), effects: [] };
  if (chosen.name === state.deviceName) return followAction(state, { type: 'follow-device', name: leader }, undefined);
  const refused = refusal(chosen);
  if (refused) return { state: say(state, refused, true), effects: [] };
  if (leader === state.deviceName && !state.now)
    return { state: say(state, 'nothing plays here to play there too', true), effects: [] };
  return {
    state: say(state, `${chosen.name} plays along with ${leader === state.deviceName ? 'this device' : leader}`),
    effects: [{ type: 'remote', device: chosen.name, command: { action: 'follow', leader } }],
  };
}

/**
 * `M` on a device: its music moves to this one. `S`: what plays (here, or on the device driven)
 * goes to it. The keys follow the music: they drive the device it went to (this one: they play here).
 */
function handoff(state: PlayerState, way: 'here' | 'there' | 'both'): Update {
  const chosen = state.devices[state.selectedDevice];
  if (way === 'both') return chosen ? bothPlay(state, chosen) : { state, effects: [] };
  const from = way === 'here' ? chosen?.name : (state.control ?? state.deviceName);
  const to = way === 'here' ? state.deviceName : chosen?.name;
  if (!chosen || from === undefined || to === undefined) return { state, effects: [] };
  if (from === to)
    return {
      state: say(state, way === 'here' ? 'it plays here already' : `the music is on ${to} already`),
      effects: [],
    };
  const refused = refusal(chosen);
  if (refused) return { state: say(state, refused, true), effects: [] };
  const keys = { ...state, control: to === state.deviceName ? undefined : to };
  const queueThere = to === state.deviceName ? [] : fetchQueue(chosen);
  if (from === state.deviceName) {
    if (!state.now) return { state: say(state, 'nothing plays here to send', true), effects: [] };
    return { state: say(keys, `sending the music to ${to}`), effects: [{ type: 'send-playback', to }, ...queueThere] };
  }
  return {
    state: say(keys, `moving ${from}'s music to ${to === state.deviceName ? 'this device' : to}`),
    effects: [{ type: 'remote', device: from, command: { action: 'send', to } }, ...queueThere],
  };
}

export function controlAction(state: PlayerState, action: ControlAction): Update {
  if (action.type === 'handoff') return handoff(state, action.way);
  if (action.type === 'release-control')
    return {
      state: state.control
        ? say(
            {
              ...state,
              control: undefined,
              selectedEntry: clamp(state.selectedEntry, 0, Math.max(0, state.queue.entries.length - 1)),
            },
            'the keys play here again',
          )
        : state,
      effects: [],
    };
  const chosen = state.devices[state.selectedDevice];
  if (!chosen || chosen.name === state.deviceName)
    return { state: say({ ...state, control: undefined }, 'the keys play here'), effects: [] };
  const refused = refusal(chosen);
  if (refused) return { state: say(state, refused, true), effects: [] };
  const text = `driving ${chosen.name}: the playback keys and its queue act on it; Esc comes back here`;
  return { state: say({ ...state, control: chosen.name }, text), effects: fetchQueue(chosen) };
}

/** A playback key while driving `state.control`: the command it means there. */
export function drive(state: PlayerState, action: Action): Update {
  const device = state.control as string;
  const record = state.devices.find((d) => d.name === device);
  const send = (command: RemoteCommand, text?: string): Update => ({
    state: text === undefined ? state : say(state, `${device}: ${text}`),
    effects: [{ type: 'remote', device, command }],
  });
  const songsHere = (): SongInfo[] => rowSongs(selectedRow(state));
  switch (action.type) {
    case 'toggle-pause':
      return send({ action: 'toggle' });
    case 'play':
      return send({ action: 'resume' });
    case 'pause':
      return send({ action: 'pause' });
    case 'stop':
      return send({ action: 'stop' });
    case 'restart':
      return send({ action: 'seek', seconds: 0 });
    case 'next':
      return send({ action: 'next' });
    case 'previous':
      return send({ action: 'previous' });
    case 'seek':
      return { state, effects: [{ type: 'remote-seek-by', device, by: action.by }] };
    case 'seek-to':
      return send({ action: 'seek', seconds: Math.max(0, Math.round(action.at * 1000) / 1000) });
    case 'volume':
    case 'set-volume': {
      const volume = clamp(
        action.type === 'volume' ? (record?.volume ?? 100) + action.by : Math.round(action.volume),
        0,
        100,
      );
      // Shown at once, and the next key counts from it: the device's record says so a round trip later.
      const devices = state.devices.map((d) => (d.name === device ? { ...d, volume } : d));
      const sent = send({ action: 'volume', percent: volume }, `volume ${volume}%`);
      return { ...sent, state: { ...sent.state, devices } };
    }
    case 'play-selected': {
      // A song: added to its queue and played there (as ncmpcpp's Enter in the browser); an artist or album opens here.
      const row = selectedRow(state);
      if (row?.kind !== 'song' || state.focus !== 'library') return { state, effects: [] };
      const at = record?.queueLength ?? 0;
      return {
        state: say(state, `${device}: playing '${row.song.title || row.song.file}'`),
        effects: [
          { type: 'remote', device, command: { action: 'add', songs: [row.song.file] } },
          { type: 'remote', device, command: { action: 'start', pos: at, positionMs: 0 } },
        ],
      };
    }
    case 'queue-play':
    case 'queue-remove':
    case 'queue-move':
    case 'queue-clear':
      return driveQueue(state, device, action);
    case 'queue-add': {
      const songs = state.focus === 'library' ? songsHere() : [];
      if (songs.length === 0) return { state, effects: [] };
      const what = songs.length === 1 ? `'${songs[0]?.title || songs[0]?.file}'` : `${songs.length} songs`;
      return send({ action: 'add', songs: songs.map((song) => song.file) }, `${what} added to its queue`);
    }
    default:
      return { state, effects: [] };
  }
}

/**
 * The queue panel's keys on the driven device's queue as it said it: Enter plays the entry, d
 * removes it, J and K move it (the cursor with it), X clears it. What it then is comes back when
 * the device says its queue again.
 */
function driveQueue(
  state: PlayerState,
  device: string,
  action: Extract<Action, { type: 'queue-play' | 'queue-remove' | 'queue-move' | 'queue-clear' }>,
): Update {
  const queue = drivenQueueShown(state);
  const pos = state.selectedEntry;
  const entry = queue?.entries[pos];
  const send = (command: RemoteCommand, text: string, next = state): Update => ({
    state: say(next, `${device}: ${text}`),
    effects: [{ type: 'remote', device, command }],
  });
  if (action.type === 'queue-clear') return send({ action: 'clear' }, 'queue cleared');
  if (!queue || !entry) return { state, effects: [] };
  const name = `'${entry.song?.title || entry.file}'`;
  switch (action.type) {
    case 'queue-play':
      return send({ action: 'start', pos, positionMs: 0 }, `playing ${name}`);
    case 'queue-remove':
      return send({ action: 'delete', pos }, `${name} removed from its queue`);
    case 'queue-move': {
      const to = pos + action.by;
      if (to < 0 || to >= queue.entries.length) return { state, effects: [] };
      return send({ action: 'move', from: pos, to }, `${name} moved`, { ...state, selectedEntry: to });
    }
  }
}
