/**
 * Calls as the state machine sees them (docs/protocol.md, calls): the one live call of this device,
 * from the daemon's `calls` records, and what the call keys do. Pure: the effect runner carries the
 * effects out, views/call-lines.ts says it on screen.
 */
import type { CallRecord } from '../../common/protocol/replies.js';
import type { CallAction, CallEffect, Update } from './actions.js';
import type { CallStats, CallView, PlayerState } from './model.js';

type CallUpdate = Update<CallEffect>;

const REASONS: Record<string, string> = {
  rejected: 'rejected',
  hangup: 'hung up',
  timeout: 'not answered',
  gone: 'the other side went away',
  silent: 'no voice from either side for a while',
  other: 'ended',
};

export function callAction(state: PlayerState, action: CallAction): CallUpdate {
  const say = (text: string, error = false): CallUpdate => ({
    state: { ...state, message: { text, error } },
    effects: [],
  });
  const call = state.call;
  switch (action.type) {
    case 'call-selected': {
      const device = state.devices[state.selectedDevice];
      if (!device) return say('no device selected');
      if (device.name === state.deviceName) return say('that is this device');
      return {
        state: { ...state, message: { text: `calling ${device.name}...`, error: false } },
        effects: [{ type: 'call-device', device: device.name }],
      };
    }
    case 'answer-call':
      if (!call) return { state, effects: [] };
      return {
        state: { ...state, message: undefined },
        effects: [{ type: 'answer', id: call.id, accept: action.accept }],
      };
    case 'hang-up':
      if (!call) return { state, effects: [] };
      return { state, effects: [{ type: 'hangup', id: call.id }] };
    case 'toggle-mute':
      if (!call) return { state, effects: [] };
      return {
        state: { ...state, call: { ...call, muted: !call.muted } },
        effects: [{ type: 'mute', muted: !call.muted }],
      };
  }
}

/**
 * The daemon's `calls` records for this device: the live one (at most one: the daemon refuses a
 * second) becomes `state.call`; a call that ended since is told on the status line; a new ring
 * from another device rings the terminal bell.
 */
export function callsChanged(state: PlayerState, records: readonly CallRecord[], now: number): CallUpdate {
  const me = state.deviceName.toLowerCase();
  const live = records.find((record) => record.state !== 'ended');
  const before = state.call;
  if (live) {
    const incoming = live.to.toLowerCase() === me;
    const state_ = live.state as 'ringing' | 'active';
    const same = before?.id === live.id;
    const call: CallView = {
      id: live.id,
      peer: incoming ? live.from : live.to,
      incoming,
      state: state_,
      since:
        same && before.state === state_ ? before.since : state_ === 'ringing' ? Date.parse(live.started) || now : now,
      muted: same ? before.muted : false,
      token: live.token,
    };
    const rings = incoming && state_ === 'ringing' && !same;
    const message =
      state_ === 'active' && before?.state !== 'active'
        ? { text: `in call with ${call.peer}`, error: false }
        : state.message;
    return { state: { ...state, call, message }, effects: rings ? [{ type: 'bell' }] : [] };
  }
  if (!before) return { state, effects: [] };
  const ended = records.find((record) => record.id === before.id);
  const why = ended?.reason ? (REASONS[ended.reason] ?? ended.reason) : 'ended';
  return {
    state: {
      ...state,
      call: undefined,
      message: {
        text: `call with ${before.peer} ended: ${why}`,
        error: ended?.reason === 'rejected' || ended?.reason === 'timeout',
      },
    },
    effects: [],
  };
}

/** The loss chart's history once more figures came (about a second after the last): the share of frames sent since that never came. */
export function callLossHistory(
  history: number[],
  before: CallStats | undefined,
  now: CallStats | undefined,
): number[] {
  if (!before || !now) return history;
  const lost = now.lost - before.lost;
  const sent = now.received - before.received + lost + (now.late - before.late);
  return [...history, sent > 0 ? Math.max(0, (100 * lost) / sent) : 0].slice(-60);
}
