/**
 * One call's voice (issue 10): what the microphone says, Opus-encoded, goes out as VOICE every
 * 20 ms (silence when muted or when there is no microphone: the daemon relays to an address only
 * once it has heard from it, and the other side's jitter buffer keeps its clock); what comes back
 * goes into the jitter buffer, and the output takes it from there as 20 ms frames of 48 kHz mono
 * (`nextFrame`) at the pace it plays. Once a second each side reports what it receives
 * (VoiceReports): the encoder is told the loss the other side sees of this side's voice (until
 * the first report, the loss this side sees, the path taken to be alike both ways), and the panel
 * shows both directions and the round trip.
 */
import { createVoiceDecoder, createVoiceEncoder, FRAME_SAMPLES, type VoiceDecoder, type VoiceEncoder } from '../audio/opus-codec.js';
import type { VoiceLink } from '../client/voice-link.js';
import type { VoiceFrames } from '../audio/sink.js';
import { VoiceJitterBuffer, type VoiceCounts } from './voice-jitter.js';
import { VoiceReports, type OutgoingVoice } from './voice-reports.js';

/** Where the voice to send comes from: the microphone, or nothing. */
export interface VoiceInput {
  readonly name: string;
  level(): number;
  stop(): void;
}

export interface VoiceStats extends VoiceCounts {
  jitterMs: number;
  depthMs: number;
  /** The microphone's level, 0-1 (0 without one). */
  micLevel: number;
  /** How the other side receives this side's voice, and the round trip: from its reports, once one came. */
  outgoing: OutgoingVoice | undefined;
  roundTripMs: number | undefined;
}

const FRAME_MS = 20;
/** A microphone quiet this long has stalled (or there is none): silence is sent in its place. Devices hand out 10-50 ms at a time. */
const MIC_STALL_MS = 200;
/** The loss figure given to the encoder is taken over this many frames (until the other side reports). */
const LOSS_WINDOW = 250;
/** A receiver report every this many frames: once a second. */
const REPORT_EVERY = 50;

/** The clock of the reports: ms, mod 2^32 on the wire. */
const clockMs = (): number => Math.floor(performance.timeOrigin + performance.now()) % 2 ** 32;

export class VoiceCall implements VoiceFrames {
  private sequence = 0;
  private position = 0;
  private muted = false;
  private lastMicFrame = 0;
  private readonly silence = new Int16Array(FRAME_SAMPLES);
  private readonly timer: NodeJS.Timeout;
  private readonly jitter: VoiceJitterBuffer;
  private input: VoiceInput | undefined;
  private lossMark = { missed: 0, played: 0 };
  private stopped = false;
  private silencePacket: Uint8Array | undefined;
  private readonly reports = new VoiceReports();
  private reportSequence = 0;
  private ticks = 0;

  private constructor(
    private readonly link: VoiceLink,
    private readonly token: Buffer,
    private readonly encoder: VoiceEncoder,
    private readonly decoder: VoiceDecoder,
  ) {
    this.jitter = new VoiceJitterBuffer(decoder);
    link.onPacket = ({ sequence, position, packet }) => this.jitter.push(sequence, position, packet, performance.now());
    link.onReport = (report, sentAt) => {
      const loss = this.reports.take(report, sentAt, clockMs());
      if (loss !== undefined) this.encoder.setExpectedLoss(loss);
    };
    this.timer = setInterval(() => this.tick(), FRAME_MS);
  }

  static async start(link: VoiceLink, call: number, token: string): Promise<VoiceCall> {
    link.call = call;
    return new VoiceCall(link, Buffer.from(token, 'hex'), await createVoiceEncoder(), await createVoiceDecoder());
  }

  /** The next 20 ms of the other side's voice, for the output to play now; undefined: nothing to play. */
  nextFrame(): Int16Array | undefined {
    return this.stopped ? undefined : this.jitter.pull(performance.now());
  }

  /** A frame of the microphone's (20 ms, 48 kHz mono). */
  readonly takeFrame = (frame: Int16Array): void => {
    this.lastMicFrame = performance.now();
    this.send(this.muted ? this.silence : frame);
  };

  /** The microphone feeding `takeFrame`: its level is shown, and it stops with the call. */
  setInput(input: VoiceInput): void {
    this.input = input;
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  stats(): VoiceStats {
    return {
      ...this.jitter.counts,
      jitterMs: this.jitter.jitterMs,
      depthMs: this.jitter.depthMs,
      micLevel: this.muted ? 0 : (this.input?.level() ?? 0),
      outgoing: this.reports.outgoing,
      roundTripMs: this.reports.roundTripMs,
    };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.input?.stop();
    this.link.call = undefined;
    this.link.onPacket = undefined;
    this.link.onReport = undefined;
    this.encoder.close();
    this.decoder.close();
  }

  private tick(): void {
    // No microphone, or it has stalled: silence keeps the way open and the other side's clock going.
    if (performance.now() - this.lastMicFrame > MIC_STALL_MS) this.send(this.silence);
    if (++this.ticks % REPORT_EVERY === 0) {
      const now = clockMs();
      this.link.sendReport(this.token, this.reportSequence++, now, this.reports.report(this.jitter.counts, this.jitter.jitterMs, now));
    }
    if (this.reports.outgoing) return; // the other side reports: its figures go to the encoder
    // What the listener missed, lost or late: the encoder adds that much redundancy (FEC).
    const missed = this.jitter.playedWithout;
    const played = this.jitter.counts.received + missed;
    if (played - this.lossMark.played >= LOSS_WINDOW) {
      this.encoder.setExpectedLoss((100 * (missed - this.lossMark.missed)) / (played - this.lossMark.played));
      this.lossMark = { missed, played };
    }
  }

  private send(frame: Int16Array): void {
    if (this.stopped) return; // the microphone's last chunk may still come after the call ended
    // Silence (muted, or no microphone) is encoded once: the encoder is the dearest part of a call.
    const packet = frame === this.silence ? (this.silencePacket ??= Uint8Array.from(this.encoder.encode(this.silence))) : this.encoder.encode(frame);
    this.link.send(this.token, this.sequence, this.position, packet);
    this.sequence = (this.sequence + 1) >>> 0;
    this.position = (this.position + FRAME_SAMPLES) >>> 0;
  }
}
