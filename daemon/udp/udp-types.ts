/** What the UDP side's parts share: an address, the socket's send function and its counters. */

export interface Peer {
  address: string;
  port: number;
}

export interface UdpCounters {
  datagramsSent: number;
  bytesSent: number;
  rejected: number;
  malformed: number;
  /** Radio datagrams not sent because the socket's send queue was full (a live programme drops, never queues). */
  radioDropped: number;
  /** Times a song stream waited for the send queue to drain. */
  streamPauses: number;
  /** Song streams dropped: never proven by a KEEPALIVE, or silent too long after. */
  streamsUnproven: number;
  streamsSilent: number;
}

/** Sends one datagram; false when it was dropped because the socket's send queue is full. */
export type Send = (bytes: Buffer, peer: Peer) => boolean;
