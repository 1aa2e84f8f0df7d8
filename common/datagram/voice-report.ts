/**
 * VOICE_REPORT (type 10, an extension of docs/protocol.md, Calls in the manner of RTCP's receiver
 * reports): once a second each party of a call tells the other what it receives of its voice,
 * and echoes the other's last report so that the round trip can be measured with no shared clock.
 * The header's position is the sender's millisecond clock when it sent the report (mod 2^32).
 * Payload, after the token (which the daemon strips as for VOICE), 24 bytes, big-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | echo: the position of the last report received from the other party (0: none yet) |
 * | 4 | 4 | held: ms between receiving that report and sending this one |
 * | 8 | 4 | frames received (played from their own packet) |
 * | 12 | 4 | frames lost (their packet never came) |
 * | 16 | 4 | packets late (came after their frame was played, or dropped to catch up) |
 * | 20 | 4 | interarrival jitter, microseconds |
 *
 * The round trip, at the party whose report was echoed: its clock now - echo - held. Pure.
 */
export const VOICE_REPORT_BYTES = 24;

export interface VoiceReport {
  echo: number;
  heldMs: number;
  received: number;
  lost: number;
  late: number;
  jitterUs: number;
}

const u32 = (value: number): number => Math.max(0, Math.min(0xffffffff, Math.round(value))) >>> 0;

export function encodeVoiceReport(report: VoiceReport): Buffer {
  const out = Buffer.alloc(VOICE_REPORT_BYTES);
  [report.echo, report.heldMs, report.received, report.lost, report.late, report.jitterUs].forEach((value, i) =>
    out.writeUInt32BE(u32(value), 4 * i),
  );
  return out;
}

/** The report, or undefined when `payload` is not one (any length but 24). */
export function decodeVoiceReport(payload: Uint8Array): VoiceReport | undefined {
  if (payload.length !== VOICE_REPORT_BYTES) return undefined;
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const [echo, heldMs, received, lost, late, jitterUs] = Array.from({ length: 6 }, (_, i) =>
    view.readUInt32BE(4 * i),
  ) as [number, number, number, number, number, number];
  return { echo, heldMs, received, lost, late, jitterUs };
}

/** The round trip in ms, from a report that echoes one of ours; undefined when it echoes none. */
export function roundTripMs(report: VoiceReport, nowMs: number): number | undefined {
  if (report.echo === 0) return undefined;
  // Mod 2^32: the clocks wrap after 49 days.
  const elapsed = (u32(nowMs % 2 ** 32) - report.echo - report.heldMs) >>> 0;
  return elapsed < 60_000 ? elapsed : undefined; // a report from before a wrap, or nonsense
}
