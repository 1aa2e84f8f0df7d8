/**
 * Listening along: this device follows another (Enter on it in the devices panel, or --follow) and
 * plays what it plays, where it is, as its playback record (`att playback`) says: song changes,
 * pause, resume, seek and stop follow. Esc, or a playback key of one's own, ends following. Pure:
 * the daemon's clock is passed in with each change; keeping the two outputs on the same sample is
 * the listen-along capability's (listen-along/sync-follower.ts), told by the `follow-target` effect.
 */
import { parseStatus } from '../../common/protocol/device-status.js';
import { positionAt } from '../../common/protocol/playback.js';
import type { DeviceInfo } from '../../common/protocol/records.js';
import type { Action, ListenAlongAction, ListenAlongEffect, TransportEffect, Update } from './actions.js';
import type { PlayerState } from './model.js';

/** Keys of one's own that end following before they act. */
export const ENDS_FOLLOWING: ReadonlySet<Action['type']> = new Set<Action['type']>([
  'play-selected',
  'toggle-pause',
  'play',
  'pause',
  'stop',
  'restart',
  'next',
  'previous',
  'seek',
  'seek-to',
  'queue-play',
  'toggle-radio',
  'play-device',
]);

type FollowUpdate = Update<ListenAlongEffect | TransportEffect>;

const say = (state: PlayerState, text: string, error = false): PlayerState => ({ ...state, message: { text, error } });

export function followAction(
  state: PlayerState,
  action: ListenAlongAction,
  daemonNow: number | undefined,
): FollowUpdate {
  if (action.type === 'unfollow') {
    if (!state.follow) return { state, effects: [] };
    return {
      state: say({ ...state, follow: undefined }, `stopped following ${state.follow.leader}`),
      effects: [{ type: 'follow-set', leader: undefined }, { type: 'follow-end' }],
    };
  }
  const device =
    action.name === undefined ? state.devices[state.selectedDevice] : state.devices.find((d) => d.name === action.name);
  if (!device)
    return {
      state: action.name === undefined ? state : say(state, `no device called ${action.name}`, true),
      effects: [],
    };
  if (device.name === state.deviceName) return { state: say(state, 'that is this device'), effects: [] };
  if (!device.playback) return followFromStatus(state, device);
  const following: PlayerState = say(
    { ...state, follow: { leader: device.name } },
    `following ${device.name}: Esc stops`,
  );
  const then = toLeader(following, device, daemonNow);
  return { state: then.state, effects: [{ type: 'follow-set', leader: device.name }, ...then.effects] };
}

/**
 * A device that has not said where it is in its song: one that has just started (its record comes
 * a moment after its status, later on a busy machine), or an older player that never says one. Its
 * song is played from where its status says, and it is followed: its record, when it comes, puts
 * this device on its sample (leaderChanged); an older player's never comes, and this one plays on.
 */
function followFromStatus(state: PlayerState, device: DeviceInfo): FollowUpdate {
  const status = parseStatus(device.status);
  if (!status) return { state: say(state, `${device.name} is not playing anything`), effects: [] };
  const song = state.library.find((s) => s.file === status.file);
  if (!song)
    return { state: say(state, `${device.name} plays ${status.file}, which is not in the library`, true), effects: [] };
  const at = Math.min(status.position, Math.max(0, song.duration - 1));
  return {
    state: say(
      { ...state, follow: { leader: device.name }, playState: 'Playing', now: { song, position: at } },
      `following ${device.name}: Esc stops`,
    ),
    effects: [
      { type: 'follow-set', leader: device.name },
      { type: 'play', song, at },
    ],
  };
}

/** The devices changed while following: what the leader does now, if that changed. */
export function leaderChanged(before: PlayerState, state: PlayerState, daemonNow: number | undefined): FollowUpdate {
  const follow = state.follow;
  if (!follow) return { state, effects: [] };
  const leader = state.devices.find((device) => device.name === follow.leader);
  if (!leader)
    return {
      state: say({ ...state, follow: undefined }, `${follow.leader} left: not following any more`),
      effects: [{ type: 'follow-set', leader: undefined }, { type: 'follow-end' }],
    };
  const was = before.devices.find((device) => device.name === follow.leader)?.playback;
  if (JSON.stringify(was) === JSON.stringify(leader.playback)) return { state, effects: [] };
  return toLeader(state, leader, daemonNow);
}

/** Playback brought to where `leader` is. */
function toLeader(state: PlayerState, leader: DeviceInfo, daemonNow: number | undefined): FollowUpdate {
  const record = leader.playback;
  if (!record) {
    if (state.playState === 'Stopped') return { state, effects: [] };
    return {
      state: { ...state, playState: 'Stopped', now: state.now && { ...state.now, position: 0 } },
      effects: [{ type: 'stop' }],
    };
  }
  const song = state.library.find((s) => s.id === record.song);
  if (!song)
    return {
      state: say(state, `${leader.name} plays song ${record.song}, which is not in the library`, true),
      effects: [],
    };
  const at = Math.min(song.duration, positionAt(record, daemonNow ?? record.atMs) / 1000);
  // The target first: a play that follows it starts where the leader will be when the sound is out.
  const target: ListenAlongEffect = { type: 'follow-target', song, record };
  const same = state.now?.song.etag === song.etag;
  if (record.playing) {
    if (same && state.playState === 'Playing') return { state, effects: [target] };
    return {
      state: { ...state, playState: 'Playing', now: { song, position: at } },
      effects: [target, { type: 'play', song, at }],
    };
  }
  // Paused: where the leader paused, paused.
  const effects: TransportEffect[] =
    same && state.playState !== 'Stopped' ? [{ type: 'seek', at }] : [{ type: 'play', song, at }];
  if (state.playState === 'Playing' || !same) effects.push({ type: 'pause' });
  return { state: { ...state, playState: 'Paused', now: { song, position: at } }, effects: [target, ...effects] };
}
