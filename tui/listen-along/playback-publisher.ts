/**
 * This device's playback record for those that follow it (`att playback`): the song, the
 * position heard, playing or paused, and the daemon-clock instant it was true at. Sent a moment
 * after each change (once the sound is out, the sink's clock says where it is), again a second
 * later, then, while a device follows this one, every few seconds while playing, so that it stays
 * on this device's own clock (each record wakes every client's `idle devices`: none is sent for
 * nobody).
 */
import { formatPlayback, type PlaybackRecord } from '../../common/protocol/playback.js';
import type { DaemonClient } from '../daemon-link/daemon-client.js';
import { localClockMs } from './clock-offset.js';

/** After a change the sound takes this long to come out and be counted by the sink's clock. */
const AFTER_CHANGE_MS = [250, 1250];
/** A pause or a stop is where it is at once: said at once. */
const AFTER_STOP_MS = [0, 1250];
const REFRESH_MS = 5000;
/** A playing record waits for the sound to be out, looked at this often, at most SOUND_WAIT_MS. */
const SOUND_POLL_MS = 50;
const SOUND_WAIT_MS = 5000;

/** Where this device is, as playback knows it now (undefined: not playing a song). */
export interface PlaybackNow {
  song: number;
  /** Seconds into the song, as heard. */
  position: number;
  playing: boolean;
  /** Whether its sound is out: a start or seek that waits for its song (a fetch on a busy machine) is not yet where it says. */
  sounding: boolean;
}

export class PlaybackPublisher {
  private timers: NodeJS.Timeout[] = [];
  private refresh: NodeJS.Timeout | undefined;
  private last: string | undefined;

  constructor(
    private readonly control: DaemonClient,
    private readonly daemonAt: (localMs: number) => number | undefined,
    private readonly read: () => PlaybackNow | undefined,
    private readonly followed: () => boolean,
    private readonly log: (text: string) => void,
  ) {}

  /** Playback changed (a play, pause, seek, stop, or the next song): publish soon (`halted`: a pause or stop, at once), and again. */
  changed(halted = false): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = (halted ? AFTER_STOP_MS : AFTER_CHANGE_MS).map((ms) => setTimeout(() => this.publish(), ms));
    clearInterval(this.refresh);
    // Only while followed (a new follower comes through here): nobody's refresh is a wake-up for nothing.
    this.refresh = this.followed()
      ? setInterval(() => (this.followed() ? this.publish() : clearInterval(this.refresh)), REFRESH_MS)
      : undefined;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    clearInterval(this.refresh);
  }

  private publish(waited = 0): void {
    const now = this.read();
    if (now?.playing && !now.sounding && waited < SOUND_WAIT_MS) {
      // Said before its sound is out, the position would run ahead of what is heard here by the
      // wait (240 ms after a seek on a busy machine), and a follower would follow that.
      const timer = setTimeout(() => {
        this.timers = this.timers.filter((t) => t !== timer);
        this.publish(waited + SOUND_POLL_MS);
      }, SOUND_POLL_MS);
      this.timers.push(timer);
      return;
    }
    const local = localClockMs();
    const at = this.daemonAt(local);
    if (!now || at === undefined) {
      if (!now) clearInterval(this.refresh);
      return this.send(now ? undefined : 'stopped');
    }
    const record: PlaybackRecord = {
      song: now.song,
      positionMs: Math.max(0, now.position * 1000),
      playing: now.playing,
      atMs: at,
    };
    if (!now.playing) clearInterval(this.refresh);
    this.send(formatPlayback(record));
  }

  private send(text: string | undefined): void {
    if (text === undefined || (text === 'stopped' && this.last === 'stopped')) return;
    this.last = text;
    void this.control
      .request('att playback', ...text.split(' '))
      .catch((error: Error) => this.log(`att playback: ${error.message}`));
  }
}
