/**
 * Keeps playback on the sample another device plays (listen along), as Snapcast's clients do:
 * the leader's record says where it is at an instant of the daemon's clock; every 100 ms the
 * position heard here is compared with where the leader is now, and the difference is taken out
 * by dropping or repeating single frames (at most 1% of them: unheard; 5% for a start's error,
 * while the song has only begun here), or, beyond 200 ms, by
 * starting again at the right place. A start is placed as its first sound is written (however
 * long the song took to fetch): where the leader will be when that sound is heard, by how long
 * the sink took from a first write to sound at the starts before.
 */
import { positionAt, type PlaybackRecord } from '../../common/protocol/playback.js';
import type { SongInfo } from '../../common/protocol/records.js';
import type { Playback } from '../playback/playback.js';

const CHECK_MS = 100;
/** Beyond this, frames are not enough: playback starts again where it should be. */
export const HARD_RESYNC_SECONDS = 0.2;
/** The share of a start's error that the next start is placed further by, and at most this much (s). */
const LEAD_LEARNING = 0.5;
/**
 * One start's error is not the next's: a stream's first sound on an idle sink came 240 ms late
 * where the next start, on the running stream, took 5 ms; learning half of the 240 threw every
 * start after it 120 ms ahead. A start's lead moves by this much at most.
 */
const LEAD_STEP_MAX = 0.01;
/** After a start, the sound is out and the sink's clock has reported by then. */
const SETTLE_MS = 400;
/**
 * Checks a correction is decided on: the median of the last ones, so that one reading of the
 * sink's clock (interpolated between PulseAudio's reports, rough in a stream's first moments) is
 * not taken for a difference to correct.
 */
const MEDIAN_OF = 5;

export class SyncFollower {
  private target: { song: SongInfo; record: PlaybackRecord } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settleUntil = 0;
  /** Seconds from a start's first write to its sound, learned from each start here. */
  private startLead = 0.005;
  private calibrating = false;
  private recent: number[] = [];
  /** The last error measured, seconds (positive: ahead of the leader). */
  lastError: number | undefined;

  /**
   * @param daemonNow the daemon's clock now (ms), once estimated
   * @param latency this device's extra output delay, seconds (--latency-ms): what it plays is heard that much later
   */
  constructor(
    private readonly playback: Playback,
    private readonly daemonNow: () => number | undefined,
    private readonly latency: number,
    private readonly log: (text: string) => void = () => {},
  ) {}

  /** Where playback is to be from now on. */
  follow(song: SongInfo, record: PlaybackRecord): void {
    this.target = { song, record };
    this.timer ??= setInterval(() => this.check(), CHECK_MS);
  }

  /** A play while following: started where the leader will be when its sound is heard here. */
  play(song: SongInfo, fallbackAt: number): void {
    const want = this.target?.song.etag === song.etag ? this.want() : undefined;
    this.start(song, want ?? fallbackAt);
  }

  end(): void {
    this.target = undefined;
    this.lastError = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Where playback should be now (seconds into the song on the sink's clock), if known. */
  private want(): number | undefined {
    const target = this.target;
    const now = this.daemonNow();
    if (!target || now === undefined) return undefined;
    return Math.min(target.song.duration, positionAt(target.record, now) / 1000) + this.latency;
  }

  private start(song: SongInfo, at: number): void {
    const playing = this.target?.record.playing ?? true;
    const asked = performance.now();
    const align = (): number | undefined => {
      // Called as the first sound is written: how long the leader's change took to become sound here.
      this.log(`listen along: first sound written ${(performance.now() - asked).toFixed(1)} ms after the change came`);
      const want = this.target?.song.etag === song.etag ? this.want() : undefined;
      return want === undefined || !this.target?.record.playing ? undefined : want + this.startLead;
    };
    this.playback.play(song, Math.max(0, at + (playing ? this.startLead : 0)), align);
    this.settleUntil = performance.now() + SETTLE_MS;
    this.calibrating = playing;
    this.recent = [];
  }

  private check(): void {
    const target = this.target;
    if (!target?.record.playing || this.playback.song?.etag !== target.song.etag || this.playback.isPaused) return;
    if (performance.now() < this.settleUntil) return;
    const want = this.want();
    if (want === undefined) return;
    const reading = this.playback.position() - want;
    // A jump (the leader seeked) is acted on at once; anything less waits for a few readings.
    if (Math.abs(reading) > HARD_RESYNC_SECONDS * 2) {
      this.log(`listen along: ${(reading * 1000).toFixed(0)} ms from the leader: starting again where it is`);
      return this.start(target.song, want);
    }
    this.recent.push(reading);
    if (this.recent.length > MEDIAN_OF) this.recent.shift();
    if (this.recent.length < MEDIAN_OF) return;
    const error = [...this.recent].sort((a, b) => a - b)[MEDIAN_OF >> 1] as number;
    this.lastError = error;
    const startError = this.calibrating;
    if (this.calibrating) {
      // Ahead: the start was placed too far on; behind: not far enough.
      this.calibrating = false;
      this.log(
        `listen along: ${(error * 1000).toFixed(1)} ms from the leader after a start placed ${(this.startLead * 1000).toFixed(1)} ms on`,
      );
      // Half the error: one start's delay is not the next's (on a busy machine a start on a fresh
      // sink and a seek in a running one differed by 35 ms), and the whole of one start's error
      // threw the next as far the other way.
      const step = Math.max(-LEAD_STEP_MAX, Math.min(LEAD_STEP_MAX, error * LEAD_LEARNING));
      this.startLead = Math.max(0, Math.min(0.5, this.startLead - step));
    }
    if (Math.abs(error) > HARD_RESYNC_SECONDS) {
      this.log(`listen along: ${(error * 1000).toFixed(0)} ms from the leader: starting again where it is`);
      return this.start(target.song, want);
    }
    this.playback.correct(error, startError);
  }
}
