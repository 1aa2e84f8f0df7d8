/**
 * What playback wrote into the open sink, frame by frame: how many frames, and where frames were
 * dropped or repeated to follow another device (listen along). From it, a sink frame maps back to
 * a frame of the song, and a correction asked for counts what is already on its way.
 */
import { nudgeFor, nudgeFrames } from './frame-nudge.js';

/** Of each piece, at most this share is nudged: 1% (10 ms a second) for a large error, half that near the goal. */
const FAST_SHARE = 0.01;
const SLOW_SHARE = 0.005;
/** Errors above this many seconds are corrected at the fast share. */
const FAST_ABOVE_SECONDS = 0.02;
/**
 * A start's error (a fresh PulseAudio stream took 35 ms where a running one takes 5) is taken at
 * 5% down to this: in half a second, not three, while the song has only just begun here.
 */
const QUICK_SHARE = 0.05;
const QUICK_DOWN_TO_SECONDS = 0.005;

export class FrameLedger {
  /** Frames written since the sink was opened. */
  written = 0;
  /** [sink frame, frames repeated minus dropped before it], ascending: a piece's change counts from its end. */
  private checkpoints: Array<[number, number]> = [];
  private delta = 0;
  /** Frames still to repeat (> 0) or drop (< 0). */
  private owed = 0;
  private quick = false;
  private rate = 44100;

  reset(): void {
    this.written = 0;
    this.checkpoints = [];
    this.delta = 0;
    this.owed = 0;
    this.quick = false;
  }

  /** Frames repeated minus dropped before sink frame `frame`. */
  deltaAt(frame: number): number {
    let low = 0;
    let high = this.checkpoints.length - 1;
    let found = 0;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const [at, delta] = this.checkpoints[mid] as [number, number];
      if (at <= frame) {
        found = delta;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  }

  /**
   * Playback is `errorSeconds` ahead of where it should be (behind: negative) at sink frame
   * `played`: frames are repeated (dropped) from the next piece on until it is not, counting those
   * written and not yet played. `quick`: the error of a start, taken at QUICK_SHARE.
   */
  correct(errorSeconds: number, played: number, sampleRate: number, quick = false): void {
    this.rate = sampleRate;
    const pending = this.delta - this.deltaAt(played);
    this.owed = Math.round(errorSeconds * sampleRate) - pending;
    this.quick ||= quick; // kept by the checks that follow, until the error is down
  }

  /** A piece about to be written: nudged if a correction is owed; counted. */
  write(pcm: Buffer, frameBytes: number): Buffer {
    let out = pcm;
    if (this.owed !== 0) {
      if (this.quick && Math.abs(this.owed) <= QUICK_DOWN_TO_SECONDS * this.rate) this.quick = false;
      const share = this.quick
        ? QUICK_SHARE
        : Math.abs(this.owed) > FAST_ABOVE_SECONDS * this.rate
          ? FAST_SHARE
          : SLOW_SHARE;
      const change = nudgeFor(this.owed, pcm.length / frameBytes, share);
      if (change !== 0) {
        out = nudgeFrames(pcm, frameBytes, change);
        this.owed -= change;
        this.delta += change;
        this.written += out.length / frameBytes;
        this.checkpoints.push([this.written, this.delta]);
        if (this.checkpoints.length > 512) this.checkpoints.splice(0, 256);
        return out;
      }
    }
    this.written += out.length / frameBytes;
    return out;
  }
}
