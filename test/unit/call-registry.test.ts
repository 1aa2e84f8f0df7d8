import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallRegistry, ENDED_KEPT_MAX, ENDED_KEPT_MS, RING_TIMEOUT_MS } from '../../daemon/calls/call-registry.js';
import { DEFAULT_CALLS, type CallSettings } from '../../common/config-schema.js';
import { ProtocolError } from '../../common/protocol/errors.js';

const at = (ms: number): Date => new Date(1_700_000_000_000 + ms);
const voice = { address: '127.0.0.1', port: 5000 };

/** Three registered devices on one address; the flood limits lifted unless `limits` sets them. */
function setup(
  max = 32,
  limits: Partial<CallSettings> = { max_per_address: 1e5, calls_per_minute: 1e5, rings_per_minute: 1e5 },
): { calls: CallRegistry; told: string[][]; exists: (name: string) => boolean } {
  const told: string[][] = [];
  const calls = new CallRegistry({ ...DEFAULT_CALLS, max, ...limits }, (names) => told.push(names));
  for (const name of ['alice', 'bob', 'carol']) calls.register(name, voice);
  return { calls, told, exists: (name) => ['alice', 'bob', 'carol', 'dave'].includes(name.toLowerCase()) };
}
const code = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  return 'ok';
};

describe('CallRegistry', () => {
  it('rings, is answered, and is hung up by either party; both parties are told of every change', () => {
    const { calls, told, exists } = setup();
    const call = calls.call('alice', 'Bob', exists, at(0));
    assert.equal(call.state, 'ringing');
    assert.deepEqual([call.caller.name, call.callee.name], ['alice', 'bob'], 'names as registered');
    assert.notDeepEqual(call.caller.token, call.callee.token, 'a token per party');
    calls.answer('bob', call.id, true, at(1000));
    assert.equal(call.state, 'active');
    calls.hangup('alice', call.id, at(2000));
    assert.deepEqual([call.state, call.reason, call.ended], ['ended', 'hangup', at(2000)]);
    assert.deepEqual(told, [
      ['alice', 'bob'],
      ['alice', 'bob'],
      ['alice', 'bob'],
    ]);
  });

  it('ends as rejected, timeout (30 s unanswered) and gone (a party’s last connection closed)', () => {
    const { calls, exists } = setup();
    const rejected = calls.call('alice', 'bob', exists, at(0));
    calls.answer('bob', rejected.id, false, at(10));
    assert.equal(rejected.reason, 'rejected');

    const unanswered = calls.call('alice', 'bob', exists, at(100));
    calls.expire(at(100 + RING_TIMEOUT_MS - 1));
    assert.equal(unanswered.state, 'ringing');
    calls.expire(at(100 + RING_TIMEOUT_MS));
    assert.deepEqual([unanswered.state, unanswered.reason], ['ended', 'timeout']);

    const active = calls.call('carol', 'bob', exists, at(200));
    calls.answer('bob', active.id, true, at(300));
    calls.deviceGone('carol', at(400));
    assert.deepEqual([active.state, active.reason], ['ended', 'gone']);
    assert.equal(calls.registration('carol'), undefined, 'gone is unregistered');
    assert.equal(calls.counts.active + calls.counts.ringing, 0);
  });

  it('lists ended calls for 60 s, then forgets them', () => {
    const { calls, exists } = setup();
    const call = calls.call('alice', 'bob', exists, at(0));
    calls.hangup('bob', call.id, at(1000));
    calls.expire(at(1000 + ENDED_KEPT_MS - 1));
    assert.equal(calls.callsOf('alice').length, 1);
    calls.expire(at(1000 + ENDED_KEPT_MS));
    assert.equal(calls.callsOf('alice').length, 0);
    assert.equal(calls.get(call.id), undefined);
  });

  it('keeps at most ENDED_KEPT_MAX ended calls, the oldest going first, however fast calls are made and hung up', () => {
    const { calls, exists } = setup();
    const first = calls.call('alice', 'bob', exists, at(0));
    calls.hangup('alice', first.id, at(0));
    for (let i = 0; i < ENDED_KEPT_MAX + 500; i++)
      calls.hangup('alice', calls.call('alice', 'bob', exists, at(i)).id, at(i));
    assert.equal(calls.callsOf('alice').length, ENDED_KEPT_MAX);
    assert.equal(calls.get(first.id), undefined, 'the oldest went first');
    const live = calls.call('alice', 'bob', exists, at(9999));
    assert.equal(calls.callsOf('alice').length, ENDED_KEPT_MAX + 1, 'a live call is never dropped');
    assert.equal(calls.get(live.id)?.state, 'ringing');
  });

  it('refuses what section 5 refuses, with its code', () => {
    const { calls, exists } = setup(2);
    const ringing = calls.call('alice', 'bob', exists, at(0));
    const table: Array<[string, () => unknown, string]> = [
      ['calling oneself', () => calls.call('carol', 'CAROL', exists, at(1)), 'bad_argument'],
      ['an unknown device', () => calls.call('carol', 'zed', exists, at(1)), 'not_found'],
      ['a device not registered for calls', () => calls.call('carol', 'dave', exists, at(1)), 'unavailable'],
      ['a caller not registered', () => calls.call('dave', 'carol', exists, at(1)), 'unavailable'],
      ['a callee ringing already', () => calls.call('carol', 'bob', exists, at(1)), 'busy'],
      ['a caller in a call', () => calls.call('alice', 'carol', exists, at(1)), 'busy'],
      ['answering as the caller', () => calls.answer('alice', ringing.id, true, at(1)), 'permission'],
      ['answering someone else’s call', () => calls.answer('carol', ringing.id, true, at(1)), 'not_found'],
      ['hanging up someone else’s call', () => calls.hangup('carol', ringing.id, at(1)), 'not_found'],
      ['an unknown call', () => calls.hangup('alice', 12345, at(1)), 'not_found'],
      ['another spelling of a registered name', () => calls.register('ALICE', voice), 'permission'],
    ];
    for (const [name, run, expected] of table) assert.equal(code(run), expected, name);
    calls.answer('bob', ringing.id, true, at(2));
    assert.equal(
      code(() => calls.answer('bob', ringing.id, true, at(3))),
      'bad_argument',
      'answering an active call',
    );
    calls.register('dave', voice);
    calls.register('erin', voice);
    calls.call('carol', 'dave', exists, at(4));
    assert.equal(
      code(() => calls.call('erin', 'alice', () => true, at(5))),
      'busy',
      'calls.max (2) reached',
    );
    calls.hangup('alice', ringing.id, at(6));
    assert.equal(
      code(() => calls.hangup('alice', ringing.id, at(7))),
      'bad_argument',
      'hanging up an ended call',
    );
  });

  it('disconnect ends the device’s calls as hung up and it takes no more', () => {
    const { calls, exists } = setup();
    const call = calls.call('alice', 'bob', exists, at(0));
    calls.unregister('bob', at(5));
    assert.deepEqual([call.state, call.reason], ['ended', 'hangup']);
    assert.equal(
      code(() => calls.call('alice', 'bob', exists, at(6))),
      'unavailable',
    );
  });

  it('a caller calling on and on is refused past calls_per_minute, with how long to wait', () => {
    const { calls, exists } = setup(32, {});
    for (let i = 0; i < 10; i++)
      calls.hangup('alice', calls.call('alice', 'bob', exists, at(i * 100)).id, at(i * 100 + 50));
    const refused = (() => {
      try {
        calls.call('alice', 'bob', exists, at(1000));
      } catch (error) {
        return error as ProtocolError;
      }
      return undefined;
    })();
    assert.equal(refused?.code, 'busy');
    assert.match(refused?.message ?? '', /10 calls a minute at most: try again in 5 s/);
    assert.equal(
      code(() => calls.call('alice', 'bob', exists, at(7000))),
      'ok',
      'a call a sixth of a minute later',
    );
  });

  it('a device rung on and on by several callers is rung at most rings_per_minute times', () => {
    const { calls, exists } = setup(32, {});
    for (const name of ['dave', 'erin', 'fay']) calls.register(name, voice);
    const callers = ['alice', 'carol', 'dave', 'erin', 'fay'];
    const outcomes = Array.from({ length: 15 }, (_, i) => {
      const from = callers[i % callers.length] as string;
      try {
        const call = calls.call(from, 'bob', exists, at(i * 10));
        calls.answer('bob', call.id, false, at(i * 10 + 5));
        return 'rang';
      } catch (error) {
        return (error as ProtocolError).message.includes('has been rung') ? 'refused' : (error as Error).message;
      }
    });
    assert.deepEqual(outcomes, [...Array(10).fill('rang'), ...Array(5).fill('refused')]);
  });

  it('caps the calls with a party on one address, and ends answered calls that went silent', () => {
    const told: string[][] = [];
    const calls = new CallRegistry({ ...DEFAULT_CALLS, max_per_address: 2, silent_timeout: 60 }, (n) => told.push(n));
    const names = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    for (const name of names) calls.register(name, { address: '10.0.0.1', port: 5000 });
    calls.register('b1', { address: '10.0.0.2', port: 5000 });
    calls.register('b2', { address: '10.0.0.2', port: 5000 });
    const exists = (): boolean => true;
    const first = calls.call('a1', 'a2', exists, at(0));
    calls.call('a3', 'b1', exists, at(0));
    assert.equal(
      code(() => calls.call('a5', 'a6', exists, at(0))),
      'busy',
      'two calls with 10.0.0.1 already',
    );
    assert.equal(
      code(() => calls.call('b2', 'a4', exists, at(0))),
      'busy',
      'as callee too',
    );
    calls.answer('a2', first.id, true, at(1000));
    calls.heard(first, at(30_000).getTime());
    calls.expire(at(80_000));
    assert.equal(first.state, 'active', 'voice 50 s ago: not silent yet');
    calls.expire(at(90_000));
    assert.deepEqual([first.state, first.reason], ['ended', 'silent']);
    assert.equal(
      code(() => calls.call('a5', 'a6', exists, at(90_000))),
      'ok',
      'a place on 10.0.0.1 again',
    );
  });
});
