/**
 * One call's voice: what the microphone says, Opus-encoded, goes out as VOICE, a packet
 * a 20 ms frame. In silence little goes out: the encoder keeps back the frames of a pause (DTX)
 * but one each 400 ms, and muted or with no microphone a silence packet goes each 400 ms, timed
 * by the microphone's frames or, with none, by a timer (the daemon relays to an address only once
 * it has heard from it: the first goes at once). The sender's clock (the packets' position) runs
 * on through what is kept back, and the other side plays that as silence. What comes back
 * goes into the jitter buffer, and the output takes it from there as 20 ms frames of 48 kHz mono
 * (`nextFrame`) at the pace it plays. Once a second each side reports what it receives
 * (VoiceReports): the encoder is told the loss the other side sees of this side's voice (until
 * the first report, the loss this side sees, the path taken to be alike both ways), and the panel
 * shows both directions and the round trip.
 */
import {
  createVoiceDecoder,
  createVoiceEncoder,
  FRAME_SAMPLES,
  type VoiceDecoder,
  type VoiceEncoder,
} from '../audio/opus-codec.js';
import type { VoiceLink } from './voice-link.js';
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
/** A microphone quiet this long has stalled (or there is none): its silence is timed by the clock. Devices hand out 10-50 ms at a time. */
const MIC_STALL_MS = 200;
/** In silence a packet at least this often, as Opus's DTX does: the way stays open, and the other side sees the call alive. */
const KEEPALIVE_MS = 400;
/**
 * Muted, silence goes in every frame for this many first (as Opus's DTX goes on a while after
 * speech): the other side's decoder goes quiet with them, even if one is lost on the way.
 */
const MUTE_HANGOVER_FRAMES = 5;
/** The loss figure given to the encoder is taken over this many frames (until the other side reports). */
const LOSS_WINDOW = 250;
const REPORT_MS = 1000;

/** The clock of the reports: ms, mod 2^32 on the wire. */
const clockMs = (): number => Math.floor(performance.timeOrigin + performance.now()) % 2 ** 32;

export class VoiceCall implements VoiceFrames {
  private sequence = 0;
  private position = 0;
  private muted = false;
  private lastMicFrame = -Infinity;
  /** When the sender's clock last moved on (a frame sent or kept back), and when a packet last went. */
  private movedAt = 0;
  private sentAt = -Infinity;
  /** Keep-alives have moved the clock on since the microphone's last frame. */
  private stoodIn = false;
  /** Frames of the microphone's since it was muted. */
  private mutedFrames = 0;
  private readonly silencePacket: Uint8Array;
  private readonly timers: NodeJS.Timeout[];
  private readonly jitter: VoiceJitterBuffer;
  private input: VoiceInput | undefined;
  private lossMark = { missed: 0, played: 0 };
  private stopped = false;
  private readonly reports = new VoiceReports();
  private reportSequence = 0;

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
    // Silence is encoded once: the encoder is the dearest part of a call. (A new encoder does not
    // keep back its first frame: DTX starts after a pause.)
    this.silencePacket = Uint8Array.from(encoder.encode(new Int16Array(FRAME_SAMPLES)) as Uint8Array);
    this.movedAt = performance.now();
    this.send(this.silencePacket);
    this.timers = [setInterval(() => this.keepAlive(), KEEPALIVE_MS), setInterval(() => this.report(), REPORT_MS)];
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
    if (this.stopped) return; // the microphone's last chunk may still come after the call ended
    const now = performance.now();
    // The keep-alives stood in for a microphone that had not started (or had stalled), moving the
    // clock on only every KEEPALIVE_MS: it catches up to now first, as they do. Else its first
    // frame went out up to that much behind the last keep-alive's clock, read by the other side as
    // a packet that late, and its jitter buffer stayed that much deeper for the call's first 10 s.
    if (this.stoodIn) this.skip(Math.max(0, Math.round((now - this.movedAt) / FRAME_MS) - 1));
    this.stoodIn = false;
    this.lastMicFrame = now;
    if (this.muted) {
      const due = this.mutedFrames++ < MUTE_HANGOVER_FRAMES || now - this.sentAt >= KEEPALIVE_MS;
      if (due) this.send(this.silencePacket);
      else this.skip(1);
      return;
    }
    this.mutedFrames = 0;
    const packet = this.encoder.encode(frame);
    if (packet) this.send(packet);
    else this.skip(1);
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
    for (const timer of this.timers) clearInterval(timer);
    this.input?.stop();
    this.link.call = undefined;
    this.link.onPacket = undefined;
    this.link.onReport = undefined;
    this.encoder.close();
    this.decoder.close();
  }

  /** No microphone, or it has stalled: the frames since are kept back as silence, and a silence packet goes. */
  private keepAlive(): void {
    const now = performance.now();
    if (now - this.lastMicFrame <= MIC_STALL_MS) return;
    this.skip(Math.max(0, Math.round((now - this.movedAt) / FRAME_MS) - 1));
    this.send(this.silencePacket);
    this.stoodIn = true;
  }

  private report(): void {
    const now = clockMs();
    this.link.sendReport(
      this.token,
      this.reportSequence++,
      now,
      this.reports.report(this.jitter.counts, this.jitter.jitterMs, now),
    );
    if (this.reports.outgoing) return; // the other side reports: its figures go to the encoder
    // What the listener missed, lost or late: the encoder adds that much redundancy (FEC).
    const missed = this.jitter.playedWithout;
    const played = this.jitter.counts.received + missed;
    if (played - this.lossMark.played >= LOSS_WINDOW) {
      this.encoder.setExpectedLoss((100 * (missed - this.lossMark.missed)) / (played - this.lossMark.played));
      this.lossMark = { missed, played };
    }
  }

  /** The next frame of the sender's clock, sent. */
  private send(packet: Uint8Array): void {
    this.link.send(this.token, this.sequence, this.position, packet);
    this.sequence = (this.sequence + 1) >>> 0;
    this.sentAt = performance.now();
    this.skip(1);
  }

  /** Frames of the sender's clock that go unsent (silence). */
  private skip(frames: number): void {
    this.position = (this.position + frames * FRAME_SAMPLES) >>> 0;
    this.movedAt = performance.now();
  }
}
