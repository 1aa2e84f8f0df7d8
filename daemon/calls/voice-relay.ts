/**
 * The voice relay (docs/protocol.md, Calls): a VOICE datagram (or a VOICE_REPORT, relayed alike:
 * docs/protocol.md) from a party of an active call, with
 * that party's token, from the IP that party registered, is forwarded to the other party's proven
 * address (where the other party's own valid VOICE datagrams come from) with the token left out:
 * one datagram out per datagram in, never larger, never to an address that did not prove itself.
 * Anything else is counted by why and dropped.
 */
import { timingSafeEqual } from 'node:crypto';
import { HEADER_BYTES, TOKEN_BYTES, writeHeader, type Datagram } from '../../common/datagram/codec.js';
import { RateBuckets } from '../../common/rate-bucket.js';
import type { CallRegistry, Party, Peer } from './call-registry.js';

export interface VoiceCounters {
  forwarded: number;
  /** The call is not active (ringing, ended, or no such call). */
  droppedNotActive: number;
  droppedBadToken: number;
  /** The right token from an IP other than the party's own. */
  droppedBadAddress: number;
  /** The other party has not sent a valid VOICE yet: there is nowhere proven to send it. */
  droppedUnproven: number;
  /** Too short to hold a token and a packet. */
  droppedTruncated: number;
  /** Over the party's rate (`calls.voice_packets_per_second`): a peer sending faster than it speaks. */
  droppedRate: number;
}

export const newVoiceCounters = (): VoiceCounters => ({
  forwarded: 0,
  droppedNotActive: 0,
  droppedBadToken: 0,
  droppedBadAddress: 0,
  droppedUnproven: 0,
  droppedTruncated: 0,
  droppedRate: 0,
});

const samePeer = (a: Peer | undefined, b: Peer): boolean =>
  a !== undefined && a.address === b.address && a.port === b.port;

export class VoiceRelay {
  /** Each party's datagrams, by call and party: one second's worth of burst. */
  private readonly rates: RateBuckets;

  constructor(
    private readonly calls: CallRegistry,
    readonly counters: VoiceCounters,
    private readonly send: (bytes: Buffer, peer: Peer) => boolean,
    packetsPerSecond: number,
  ) {
    this.rates = new RateBuckets(packetsPerSecond, packetsPerSecond);
  }

  handle(datagram: Datagram, from: Peer, nowMs = Date.now()): void {
    if (datagram.payload.length <= TOKEN_BYTES) return void this.counters.droppedTruncated++;
    const call = this.calls.get(datagram.stream);
    if (!call || call.state !== 'active') return void this.counters.droppedNotActive++;
    const token = datagram.payload.subarray(0, TOKEN_BYTES);
    const sender = timingSafeEqual(token, call.caller.token)
      ? call.caller
      : timingSafeEqual(token, call.callee.token)
        ? call.callee
        : undefined;
    if (!sender) return void this.counters.droppedBadToken++;
    if (from.address !== this.calls.registration(sender.name)?.voice.address)
      return void this.counters.droppedBadAddress++;
    if (!this.rates.take(`${call.id} ${sender === call.caller ? 'caller' : 'callee'}`, nowMs))
      return void this.counters.droppedRate++;
    this.calls.heard(call, nowMs);
    if (!samePeer(sender.proven, from)) sender.proven = { address: from.address, port: from.port };
    const receiver: Party = sender === call.caller ? call.callee : call.caller;
    if (!receiver.proven) return void this.counters.droppedUnproven++;
    const packet = datagram.payload.subarray(TOKEN_BYTES);
    const out = Buffer.allocUnsafe(HEADER_BYTES + packet.length);
    writeHeader(out, datagram.type, datagram.stream, datagram.sequence, datagram.position);
    packet.copy(out, HEADER_BYTES);
    if (this.send(out, receiver.proven)) this.counters.forwarded++;
  }
}
