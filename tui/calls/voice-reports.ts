/**
 * The receiver reports of a call (VOICE_REPORT, common/datagram/voice-report.ts), as RTCP does
 * them: each side says once a second what it receives, so each knows how its own voice arrives
 * (the outgoing direction, which it cannot see) and what loss to tell its encoder; and each echoes
 * the other's last report with how long it held it, which gives the round trip with no shared
 * clock. Pure: clocks are passed in (ms, mod 2^32 on the wire).
 */
import { roundTripMs, type VoiceReport } from '../../common/datagram/voice-report.js';
import type { VoiceCounts } from './voice-jitter.js';

/** How the other side receives this side's voice. */
export interface OutgoingVoice {
  received: number;
  lost: number;
  late: number;
  jitterMs: number;
}

export class VoiceReports {
  private lastHeard: { sentAt: number; at: number } | undefined;
  private previous: VoiceReport | undefined;
  /** The latest round trip measured, ms. */
  roundTripMs: number | undefined;
  outgoing: OutgoingVoice | undefined;

  /** The report to send at `now`: what this side receives, and the echo of the other's last. */
  report(counts: VoiceCounts, jitterMs: number, now: number): VoiceReport {
    return {
      echo: this.lastHeard?.sentAt ?? 0,
      heldMs: this.lastHeard ? now - this.lastHeard.at : 0,
      received: counts.received,
      lost: counts.lost,
      late: counts.late,
      jitterUs: jitterMs * 1000,
    };
  }

  /**
   * The other side's report, sent at its clock's `sentAt`, come in at `now`. Returns the loss (%)
   * of this side's voice since its previous report, for the encoder's FEC, when there is one.
   */
  take(report: VoiceReport, sentAt: number, now: number): number | undefined {
    this.lastHeard = { sentAt, at: now };
    this.roundTripMs = roundTripMs(report, now) ?? this.roundTripMs;
    this.outgoing = {
      received: report.received,
      lost: report.lost,
      late: report.late,
      jitterMs: report.jitterUs / 1000,
    };
    const previous = this.previous;
    this.previous = report;
    if (!previous || report.received < previous.received) return undefined; // the first, or the other side restarted its count
    const lost = report.lost - previous.lost;
    const sent = report.received - previous.received + lost + (report.late - previous.late);
    return sent > 0 ? Math.max(0, (100 * lost) / sent) : undefined;
  }
}
