/**
 * Calls as the player shows them (issue 10; PROTOCOL.md section 5): the one live call of this
 * device, from the daemon's `calls` records, the keys that drive it and what they do. Pure, like
 * the rest of the state machine: the app carries the effects out.
 */
import type { CallRecord } from '../../common/protocol/replies.js';
import type { Key } from './keys.js';
import type { PlayerState } from './state.js';

export interface CallView {
  id: number;
  /** The other device. */
  peer: string;
  incoming: boolean;
  state: 'ringing' | 'active';
  /** When it started ringing, or was answered (ms since the epoch, this machine's clock). */
  since: number;
  muted: boolean;
  /** This party's media token (what its VOICE datagrams carry). */
  token: string;
}

/** What the call panel shows of the voice coming in (VoiceCall's figures), once a second. */
export interface CallStats {
  received: number;
  lost: number;
  recovered: number;
  late: number;
  jitterMs: number;
  depthMs: number;
  /** The microphone's level, 0-1. */
  micLevel: number;
  /** How the other side receives this side's voice, and the round trip (from its reports; none yet: undefined). */
  outgoing?: { received: number; lost: number; late: number; jitterMs: number } | undefined;
  roundTripMs?: number | undefined;
}

export type CallAction =
  { type: 'call-selected' } | { type: 'answer-call'; accept: boolean } | { type: 'hang-up' } | { type: 'toggle-mute' };

export type CallEffect =
  | { type: 'call-device'; device: string }
  | { type: 'answer'; id: number; accept: boolean }
  | { type: 'hangup'; id: number }
  | { type: 'mute'; muted: boolean }
  | { type: 'bell' };

export interface CallUpdate {
  state: PlayerState;
  effects: CallEffect[];
}

const REASONS: Record<string, string> = {
  rejected: 'rejected',
  hangup: 'hung up',
  timeout: 'not answered',
  gone: 'the other side went away',
};

/** Keys that mean something because of a call; undefined: the key is the player's as usual. */
export function callKey(key: Key, state: PlayerState): CallAction | undefined {
  const call = state.call;
  if (call?.state === 'ringing' && call.incoming) {
    if (key.ch === 'y') return { type: 'answer-call', accept: true };
    if (key.ch === 'n') return { type: 'answer-call', accept: false };
  }
  if (call && (key.ch === 'h' || (key.name === 'escape' && call.state === 'ringing' && !call.incoming)))
    return { type: 'hang-up' };
  if (call?.state === 'active' && key.ch === 'm') return { type: 'toggle-mute' };
  if (!call && key.ch === 'C' && state.focus === 'devices' && state.callsEnabled) return { type: 'call-selected' };
  return undefined;
}

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

/**
 * The voice line under the call line (Mumble shows good / late / lost the same way):
 * `voice in: 1520 recv, 12 lost (0.8%, 9 by FEC), 3 late  jitter 2.1 ms  buffer 40 ms  mic ▮▮▮▯▯`.
 */
export function voiceLine(stats: CallStats): string {
  // The network's loss: of all the frames sent, those that never came (the late ones did come).
  const sent = stats.received + stats.lost + stats.late;
  const share = sent === 0 ? 0 : (100 * stats.lost) / sent;
  const bars = Math.min(5, Math.round(stats.micLevel * 15));
  return `voice in: ${stats.received} recv, ${stats.lost} lost (${share.toFixed(1)}%, ${stats.recovered} by FEC), ${stats.late} late  jitter ${stats.jitterMs.toFixed(1)} ms  buffer ${Math.round(stats.depthMs)} ms  mic ${'▮'.repeat(bars)}${'▯'.repeat(5 - bars)}`;
}

/**
 * The other direction, from the other side's reports:
 * `voice out: 1490 recv, 10 lost (0.7%), 2 late  jitter 1.2 ms  round trip 42 ms`.
 */
export function voiceOutLine(stats: CallStats): string {
  const out = stats.outgoing;
  const trip = stats.roundTripMs === undefined ? '' : `  round trip ${Math.round(stats.roundTripMs)} ms`;
  if (!out) return `voice out: no report from the other side yet${trip}`;
  const sent = out.received + out.lost + out.late;
  const share = sent === 0 ? 0 : (100 * out.lost) / sent;
  return `voice out: ${out.received} recv, ${out.lost} lost (${share.toFixed(1)}%), ${out.late} late  jitter ${out.jitterMs.toFixed(1)} ms${trip}`;
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

/** The call line: `calling bob... (h or Esc cancels)`, `bob is calling: y accept, n reject`, `in call with bob 1:05`. */
export function callLine(call: CallView, now: number): string {
  if (call.state === 'ringing')
    return call.incoming ? `${call.peer} is calling: y accept, n reject` : `calling ${call.peer}... (h or Esc cancels)`;
  const seconds = Math.max(0, Math.floor((now - call.since) / 1000));
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  return `in call with ${call.peer} ${clock}${call.muted ? ' (muted)' : ''}  h hang up, m mute`;
}
