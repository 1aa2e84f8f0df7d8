/**
 * Calls between devices (docs/protocol.md, Calls): which devices can take calls,
 * and every call's state: ringing, active, ended (rejected, hangup, timeout, gone). Pure
 * bookkeeping: no sockets, time passed in; the parties of every change are told through
 * `onChange`, the relay (voice-relay.ts) reads the calls and records the parties' proven addresses.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { TOKEN_BYTES } from '../../common/datagram/codec.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import type { CallSettings } from '../../common/config-schema.js';
import { RateBuckets } from '../../common/rate-bucket.js';
import type { Peer } from '../udp/udp-types.js';

export type { Peer };

/** A ringing call nobody answers ends after this long (`timeout`). */
export const RING_TIMEOUT_MS = 30_000;
/** Ended calls stay listed this long... */
export const ENDED_KEPT_MS = 60_000;
/** ...and this many at most: calls made and hung up as fast as a client can type keep no more. */
export const ENDED_KEPT_MAX = 256;

export type CallState = 'ringing' | 'active' | 'ended';
export type EndReason = 'rejected' | 'hangup' | 'timeout' | 'gone' | 'silent';

export interface Party {
  /** The device name as it registered. */
  name: string;
  /** What its VOICE datagrams carry first; given to this party only. */
  token: Buffer;
  /** Where its valid VOICE datagrams come from: the relay sends the other party's voice there. */
  proven: Peer | undefined;
}

export interface Call {
  id: number;
  caller: Party;
  callee: Party;
  state: CallState;
  started: Date;
  ended?: Date;
  reason?: EndReason;
  /** When it was answered, and when either party's voice last went through the relay (ms since the epoch). */
  answeredMs?: number;
  lastVoiceMs?: number;
}

export interface Registration {
  name: string;
  /** The voice address it gave (`register <name> <ip> <port>`): its IP is the only one its VOICE may come from. */
  voice: Peer;
}

const key = (name: string): string => name.toLowerCase();
const live = (call: Call): boolean => call.state !== 'ended';

export class CallRegistry {
  private readonly registrations = new Map<string, Registration>();
  private readonly calls = new Map<number, Call>();
  private endedCount = 0;
  /** Calls started, by caller and by the caller's address; rings, by callee: floods are refused. */
  private readonly startedBy: RateBuckets;
  private readonly startedFrom: RateBuckets;
  private readonly rung: RateBuckets;

  /** `onChange` is told the device names of the parties of every change (`changed: calls`). */
  constructor(
    private readonly limits: CallSettings,
    private readonly onChange: (names: string[]) => void = () => {},
  ) {
    const perMinute = (count: number): [number, number] => [count / 60, count];
    this.startedBy = new RateBuckets(...perMinute(limits.calls_per_minute));
    // The devices of one host together: twice what one may start, so that two of them calling is no flood.
    this.startedFrom = new RateBuckets(...perMinute(2 * limits.calls_per_minute));
    this.rung = new RateBuckets(...perMinute(limits.rings_per_minute));
  }

  /** @throws ProtocolError permission when another device holds the name in another spelling. */
  register(name: string, voice: Peer): void {
    const held = this.registrations.get(key(name));
    if (held && held.name !== name)
      throw new ProtocolError('permission', `'${held.name}' is registered for calls by another device`);
    this.registrations.set(key(name), { name, voice });
  }

  registration(name: string): Registration | undefined {
    return this.registrations.get(key(name));
  }

  /** `disconnect`: the device takes no calls from now on; its calls end as hung up. */
  unregister(name: string, now: Date): void {
    this.endAllOf(name, 'hangup', now);
    this.registrations.delete(key(name));
  }

  /** The device's last connection closed: its calls end (`gone`) and it is registered no more. */
  deviceGone(name: string, now: Date): void {
    if (!this.registrations.has(key(name))) return;
    this.endAllOf(name, 'gone', now);
    this.registrations.delete(key(name));
  }

  /** @throws ProtocolError bad_argument (oneself), not_found / unavailable via `callable`, busy. */
  call(from: string, to: string, exists: (name: string) => boolean, now: Date): Call {
    const caller = this.registrations.get(key(from));
    if (!caller) throw new ProtocolError('unavailable', `register for calls first: register ${from} <ip> <port>`);
    if (key(from) === key(to)) throw new ProtocolError('bad_argument', 'a device cannot call itself');
    const callee = this.registrations.get(key(to));
    if (!callee) {
      if (!exists(to)) throw new ProtocolError('not_found', `no device '${to}'`);
      throw new ProtocolError('unavailable', `'${to}' is not registered for calls`);
    }
    if (this.liveCallOf(caller.name)) throw new ProtocolError('busy', 'you are in a call already');
    if (this.liveCallOf(callee.name)) throw new ProtocolError('busy', `'${callee.name}' is in a call`);
    const running = [...this.calls.values()].filter(live);
    if (running.length >= this.limits.max)
      throw new ProtocolError('busy', `${this.limits.max} calls are in progress: try again later`);
    for (const address of new Set([caller.voice.address, callee.voice.address])) {
      const there = running.filter((c) => this.addressOf(c.caller) === address || this.addressOf(c.callee) === address);
      if (there.length >= this.limits.max_per_address)
        throw new ProtocolError(
          'busy',
          `${this.limits.max_per_address} calls are in progress with ${address}: try again later`,
        );
    }
    // Floods: a caller (or its host) calling on and on, and a device rung on and on by anyone.
    const nowMs = now.getTime();
    const wait = (seconds: number): string => `try again in ${Math.max(1, Math.ceil(seconds))} s`;
    if (!this.startedBy.take(key(caller.name), nowMs))
      throw new ProtocolError(
        'busy',
        `${this.limits.calls_per_minute} calls a minute at most: ${wait(this.startedBy.waitSeconds(key(caller.name), nowMs))}`,
      );
    if (!this.startedFrom.take(caller.voice.address, nowMs))
      throw new ProtocolError(
        'busy',
        `too many calls from ${caller.voice.address}: ${wait(this.startedFrom.waitSeconds(caller.voice.address, nowMs))}`,
      );
    if (!this.rung.take(key(callee.name), nowMs))
      throw new ProtocolError(
        'busy',
        `'${callee.name}' has been rung ${this.limits.rings_per_minute} times this minute: ${wait(this.rung.waitSeconds(key(callee.name), nowMs))}`,
      );
    const call: Call = {
      id: this.newId(),
      caller: { name: caller.name, token: randomBytes(TOKEN_BYTES), proven: undefined },
      callee: { name: callee.name, token: randomBytes(TOKEN_BYTES), proven: undefined },
      state: 'ringing',
      started: now,
    };
    this.calls.set(call.id, call);
    this.onChange([caller.name, callee.name]);
    return call;
  }

  /** @throws ProtocolError not_found, permission (not the callee), bad_argument (not ringing). */
  answer(name: string, id: number, accept: boolean, now: Date): Call {
    const call = this.partyCall(name, id);
    if (key(call.callee.name) !== key(name))
      throw new ProtocolError('permission', `only ${call.callee.name} can answer call ${id}`);
    if (call.state !== 'ringing') throw new ProtocolError('bad_argument', `call ${id} is ${call.state}, not ringing`);
    if (accept) {
      call.state = 'active';
      call.answeredMs = now.getTime();
      this.onChange([call.caller.name, call.callee.name]);
    } else this.end(call, 'rejected', now);
    return call;
  }

  /** @throws ProtocolError not_found, bad_argument (ended already). */
  hangup(name: string, id: number, now: Date): Call {
    const call = this.partyCall(name, id);
    if (call.state === 'ended') throw new ProtocolError('bad_argument', `call ${id} has ended already`);
    this.end(call, 'hangup', now);
    return call;
  }

  /** The device's calls, live and recently ended, oldest first. */
  callsOf(name: string): Call[] {
    return [...this.calls.values()].filter(
      (call) => key(call.caller.name) === key(name) || key(call.callee.name) === key(name),
    );
  }

  get(id: number): Call | undefined {
    return this.calls.get(id);
  }

  get counts(): { ringing: number; active: number } {
    let ringing = 0;
    let active = 0;
    for (const call of this.calls.values()) {
      if (call.state === 'ringing') ringing++;
      else if (call.state === 'active') active++;
    }
    return { ringing, active };
  }

  /** Whether `expire` has anything to do: a call rings or is answered, or an ended one is still listed. */
  get expiring(): boolean {
    return this.calls.size > 0;
  }

  /** Voice of the call's went through the relay: it is not silent. */
  heard(call: Call, nowMs: number): void {
    call.lastVoiceMs = nowMs;
  }

  /**
   * Rings that went unanswered end (`timeout`), answered calls with no voice from either party
   * for `silent_timeout` end (`silent`); calls ended long enough ago are forgotten.
   */
  expire(now: Date): void {
    const silentMs = this.limits.silent_timeout * 1000;
    for (const call of this.calls.values()) {
      if (call.state === 'ringing' && now.getTime() - call.started.getTime() >= RING_TIMEOUT_MS)
        this.end(call, 'timeout', now);
      else if (call.state === 'active' && now.getTime() - (call.lastVoiceMs ?? call.answeredMs ?? 0) >= silentMs)
        this.end(call, 'silent', now);
      else if (call.state === 'ended' && now.getTime() - (call.ended as Date).getTime() >= ENDED_KEPT_MS) {
        this.calls.delete(call.id);
        this.endedCount--;
      }
    }
  }

  /** A call of this device's, or not_found: another device's calls are not told apart from none. */
  private partyCall(name: string, id: number): Call {
    const call = this.calls.get(id);
    if (!call || (key(call.caller.name) !== key(name) && key(call.callee.name) !== key(name)))
      throw new ProtocolError('not_found', `no call ${id} of yours`);
    return call;
  }

  private addressOf(party: Party): string | undefined {
    return this.registrations.get(key(party.name))?.voice.address;
  }

  private liveCallOf(name: string): Call | undefined {
    return this.callsOf(name).find(live);
  }

  private endAllOf(name: string, reason: EndReason, now: Date): void {
    for (const call of this.callsOf(name)) if (live(call)) this.end(call, reason, now);
  }

  private end(call: Call, reason: EndReason, now: Date): void {
    call.state = 'ended';
    call.reason = reason;
    call.ended = now;
    this.endedCount++;
    // The map keeps calls in the order they were made: the oldest ended ones go first.
    for (const [id, old] of this.calls) {
      if (this.endedCount <= ENDED_KEPT_MAX) break;
      if (old.state !== 'ended' || old === call) continue;
      this.calls.delete(id);
      this.endedCount--;
    }
    this.onChange([call.caller.name, call.callee.name]);
  }

  private newId(): number {
    let id: number;
    do id = randomInt(1, 2 ** 31);
    while (this.calls.has(id));
    return id;
  }
}
