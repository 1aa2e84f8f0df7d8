import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallRecord } from '../../common/protocol/replies.js';
import { callLossHistory } from '../../tui/state/calls.js';
import { keyToAction, type Key } from '../../tui/state/keys.js';
import { initialState, type PlayerState } from '../../tui/state/model.js';
import { applyAction } from '../../tui/state/update.js';
import { callLine, voiceLine, voiceOutLine } from '../../tui/views/call-lines.js';
import type { CallView } from '../../tui/state/model.js';
import { statusText } from '../../tui/state/selectors.js';
import { applyEvent } from '../../tui/state/events.js';

const device = (name: string) => ({ name, address: '127.0.0.1:1', status: 'idle', connected: '', updated: '' });
const base = (): PlayerState => ({
  ...initialState('alice'),
  devices: [device('alice'), device('bob')],
  selectedDevice: 1,
  focus: 'devices',
});
const record = (
  id: number,
  from: string,
  to: string,
  state: CallRecord['state'],
  reason?: CallRecord['reason'],
): CallRecord => ({
  id,
  from,
  to,
  state,
  started: '2026-11-21T21:40:00.000Z',
  token: '0011223344556677',
  reason,
});
const withCall = (call: Partial<CallView>): PlayerState => ({
  ...base(),
  call: {
    id: 7,
    peer: 'bob',
    incoming: false,
    state: 'ringing',
    since: 0,
    muted: false,
    token: '0011223344556677',
    ...call,
  },
});
const key = (ch: string, name?: string): Key => ({ ch, name: name ?? ch });

describe('calls in the state machine', () => {
  it('maps every call key in every call state', () => {
    const table: Array<[string, PlayerState, Key, unknown]> = [
      ['C on a device calls it', base(), key('C'), { type: 'call-selected' }],
      ['C in the library is not a call', { ...base(), focus: 'library' }, key('C'), undefined],
      ['C with calls off', { ...base(), callsEnabled: false }, key('C'), undefined],
      ['C during a call', withCall({}), key('C'), undefined],
      ['y on an incoming ring accepts', withCall({ incoming: true }), key('y'), { type: 'answer-call', accept: true }],
      ['n on an incoming ring rejects', withCall({ incoming: true }), key('n'), { type: 'answer-call', accept: false }],
      ['h on an incoming ring hangs up', withCall({ incoming: true }), key('h'), { type: 'hang-up' }],
      ['y on an outgoing ring is not an answer', withCall({}), key('y'), undefined],
      ['h cancels an outgoing ring', withCall({}), key('h'), { type: 'hang-up' }],
      ['Esc cancels an outgoing ring', withCall({}), { name: 'escape' }, { type: 'hang-up' }],
      ['h hangs up an active call', withCall({ state: 'active' }), key('h'), { type: 'hang-up' }],
      ['m mutes an active call', withCall({ state: 'active' }), key('m'), { type: 'toggle-mute' }],
      ['m on a ring is nothing', withCall({}), key('m'), undefined],
    ];
    for (const [name, state, pressed, expected] of table) {
      const action = keyToAction(pressed, state);
      if (expected === undefined)
        assert.ok(
          action === undefined || !['call-selected', 'answer-call', 'hang-up', 'toggle-mute'].includes(action.type),
          name,
        );
      else assert.deepEqual(action, expected, name);
    }
  });

  it('turns call actions into effects: call the selected device, answer, hang up, mute', () => {
    assert.deepEqual(applyAction(base(), { type: 'call-selected' }).effects, [{ type: 'call-device', device: 'bob' }]);
    assert.deepEqual(
      applyAction({ ...base(), selectedDevice: 0 }, { type: 'call-selected' }).effects,
      [],
      'not oneself',
    );
    assert.deepEqual(applyAction(withCall({ incoming: true }), { type: 'answer-call', accept: false }).effects, [
      { type: 'answer', id: 7, accept: false },
    ]);
    assert.deepEqual(applyAction(withCall({}), { type: 'hang-up' }).effects, [{ type: 'hangup', id: 7 }]);
    const muted = applyAction(withCall({ state: 'active' }), { type: 'toggle-mute' });
    assert.deepEqual([muted.state.call?.muted, muted.effects], [true, [{ type: 'mute', muted: true }]]);
    assert.deepEqual(
      applyAction(withCall({ state: 'active' }), { type: 'quit' }).effects,
      [{ type: 'hangup', id: 7 }, { type: 'quit' }],
      'quitting hangs up first',
    );
    assert.deepEqual(applyAction(base(), { type: 'quit' }).effects, [{ type: 'quit' }]);
  });

  it('follows the daemon’s records: a ring rings the bell, an answer shows the call, an end says why', () => {
    let state = base();
    let update = applyEvent(state, { type: 'calls', records: [record(7, 'bob', 'alice', 'ringing')], now: 1000 });
    assert.deepEqual(
      [update.state.call?.incoming, update.state.call?.peer, update.effects],
      [true, 'bob', [{ type: 'bell' }]],
    );
    assert.equal(callLine(update.state.call as CallView, 1000), 'bob is calling: y accept, n reject');
    state = update.state;
    update = applyEvent(state, { type: 'calls', records: [record(7, 'bob', 'alice', 'ringing')], now: 2000 });
    assert.deepEqual(update.effects, [], 'the same ring rings once');
    update = applyEvent(update.state, { type: 'calls', records: [record(7, 'bob', 'alice', 'active')], now: 5000 });
    assert.equal(update.state.call?.state, 'active');
    assert.equal(statusText(update.state), 'in call with bob', 'what other devices see');
    assert.equal(callLine(update.state.call as CallView, 65_000), 'in call with bob 1:00  h hang up, m mute');
    update = applyEvent(update.state, {
      type: 'calls',
      records: [record(7, 'bob', 'alice', 'ended', 'hangup')],
      now: 70_000,
    });
    assert.equal(update.state.call, undefined);
    assert.deepEqual(update.state.message, { text: 'call with bob ended: hung up', error: false });

    const outgoing = applyEvent(base(), { type: 'calls', records: [record(8, 'alice', 'bob', 'ringing')], now: 0 });
    assert.deepEqual([outgoing.state.call?.incoming, outgoing.effects], [false, []], 'one’s own call does not ring');
    assert.equal(callLine(outgoing.state.call as CallView, 0), 'calling bob... (h or Esc cancels)');
    const rejected = applyEvent(outgoing.state, {
      type: 'calls',
      records: [record(8, 'alice', 'bob', 'ended', 'rejected')],
      now: 1,
    });
    assert.deepEqual(rejected.state.message, { text: 'call with bob ended: rejected', error: true });
  });
});

describe('the voice line', () => {
  it('says what came in, what was lost and repaired, the jitter, the buffer and the microphone', () => {
    assert.equal(
      voiceLine({ received: 990, lost: 10, recovered: 7, late: 3, jitterMs: 2.14, depthMs: 40, micLevel: 0.2 }),
      'voice in: 990 recv, 10 lost (1.0%, 7 by FEC), 3 late  jitter 2.1 ms  buffer 40 ms  mic ▮▮▮▯▯',
    );
    assert.match(
      voiceLine({ received: 0, lost: 0, recovered: 0, late: 0, jitterMs: 0, depthMs: 40, micLevel: 0 }),
      /0 lost \(0\.0%.*mic ▯▯▯▯▯$/,
    );
    assert.match(
      voiceLine({ received: 50, lost: 0, recovered: 0, late: 0, corrupt: 4, jitterMs: 0, depthMs: 40, micLevel: 0 }),
      /0 late, 4 corrupt {2}jitter/,
      'packets that would not decode, when there are any',
    );
  });

  const incoming = { received: 990, lost: 10, recovered: 7, late: 3, jitterMs: 2.14, depthMs: 40, micLevel: 0.2 };
  const outgoingCases: Array<[string, Partial<Parameters<typeof voiceOutLine>[0]>, string]> = [
    ['no report yet', {}, 'voice out: no report from the other side yet'],
    [
      'a report, no round trip yet',
      { outgoing: { received: 1490, lost: 8, late: 2, jitterMs: 1.24 } },
      'voice out: 1490 recv, 8 lost (0.5%), 2 late  jitter 1.2 ms',
    ],
    [
      'a report and a round trip',
      { outgoing: { received: 95, lost: 5, late: 0, jitterMs: 0 }, roundTripMs: 41.6 },
      'voice out: 95 recv, 5 lost (5.0%), 0 late  jitter 0.0 ms  round trip 42 ms',
    ],
  ];
  for (const [name, stats, line] of outgoingCases)
    it(`the other direction: ${name}`, () => assert.equal(voiceOutLine({ ...incoming, ...stats }), line));
});

describe('the loss chart of a call', () => {
  const stats = (received: number, lost: number, late = 0) => ({
    received,
    lost,
    late,
    recovered: 0,
    jitterMs: 0,
    depthMs: 40,
    micLevel: 0,
  });
  it('adds the share of the frames sent since the last figures that never came', () => {
    assert.deepEqual(callLossHistory([], undefined, stats(50, 0)), [], 'the first figures: nothing to compare');
    assert.deepEqual(callLossHistory([], stats(50, 0), stats(95, 5)), [10]);
    assert.deepEqual(callLossHistory([10], stats(95, 5), stats(143, 5, 2)), [10, 0], 'late ones came');
    assert.deepEqual(callLossHistory([1], stats(95, 5), stats(95, 5)), [1, 0], 'nothing sent: nothing lost');
    assert.equal(
      callLossHistory(
        Array.from({ length: 60 }, () => 1),
        stats(0, 0),
        stats(9, 1),
      ).length,
      60,
      'a minute at most',
    );
  });

  it('follows the call from the once-a-second figures, and is dropped with it', () => {
    const active = applyEvent(initialState('alice'), {
      type: 'calls',
      records: [record(3, 'alice', 'bob', 'active')],
      now: 0,
    }).state;
    let state = applyEvent(active, { type: 'call-stats', stats: stats(50, 0) }).state;
    state = applyEvent(state, { type: 'call-stats', stats: stats(95, 5) }).state;
    assert.deepEqual(state.callLoss, [10]);
    const ended = applyEvent(state, {
      type: 'calls',
      records: [record(3, 'alice', 'bob', 'ended', 'hangup')],
      now: 1,
    }).state;
    assert.deepEqual(applyEvent(ended, { type: 'call-stats', stats: undefined }).state.callLoss, []);
  });
});
