/**
 * Listening along (two rooms, one song, the same moment): the daemon's clock estimated here, this
 * device's playback record published for its followers, and, while this device follows another,
 * the follow effects carried out on the SyncFollower, which keeps playback on the leader's sample.
 */
import { positionAt, type PlaybackRecord } from '../../common/protocol/playback.js';
import type { SongInfo } from '../../common/protocol/records.js';
import type { DaemonClient } from '../daemon-link/daemon-client.js';
import type { Playback } from '../playback/playback.js';
import { SyncFollower } from './sync-follower.js';
import type { PlayerState } from '../state/model.js';
import { DaemonClock } from './daemon-clock.js';
import { PlaybackPublisher } from './playback-publisher.js';
import type { ListenAlongEffect } from '../state/actions.js';

export class ListenAlong {
  readonly clock: DaemonClock;
  private readonly publisher: PlaybackPublisher;
  private readonly follower: SyncFollower;
  /** Devices that follow this one now. */
  private followers = 0;

  /** @param latencySeconds this device's extra output delay (--latency-ms) */
  constructor(
    private readonly control: DaemonClient,
    private readonly playback: Playback,
    state: () => PlayerState,
    private readonly latencySeconds: number,
    private readonly log: (text: string) => void,
  ) {
    this.clock = new DaemonClock(control, log);
    this.publisher = new PlaybackPublisher(
      control,
      (local) => this.clock.estimate.daemonAt(local),
      () => {
        const now = state();
        if (!now.now || now.playState === 'Stopped' || now.radio.on) return undefined;
        return {
          song: now.now.song.id,
          position: Math.max(0, playback.position() - latencySeconds),
          playing: now.playState === 'Playing',
          sounding: playback.sounding,
        };
      },
      () => this.followers > 0,
      log,
    );
    this.follower = new SyncFollower(playback, () => this.clock.now(), latencySeconds, log);
  }

  start(): void {
    this.clock.start();
  }

  /** The daemon's clock now (ms), once estimated. */
  daemonNow(): number | undefined {
    return this.clock.now();
  }

  /** A state change: a device that starts following this one is sent its record at once. */
  stateChanged(before: PlayerState, after: PlayerState): void {
    // Who follows this device changes only with the device list: counted then, not at every tick.
    if (after.devices !== before.devices) {
      const followers = after.devices.filter((device) => device.follows === after.deviceName).length;
      const newFollower = followers > this.followers;
      this.followers = followers;
      if (newFollower) this.publisher.changed();
    }
    this.clock.busy = this.followers > 0 || after.follow !== undefined;
  }

  /** This device's playback moved (a play, pause, seek, stop, the radio, a gapless join): its record is published again; `halted` a pause or stop. */
  playbackMoved(halted = false): void {
    this.publisher.changed(halted);
  }

  /** A play while following goes through the follower: it starts where the leader will be heard. */
  play(song: SongInfo, at: number): void {
    this.follower.play(song, at);
  }

  /**
   * A song started at `positionMs` at daemon instant `atMs` (a handoff's start): its first sound is
   * placed where the song has reached when that sound is heard, however long the song took to come.
   */
  playInStep(song: SongInfo, { positionMs, atMs }: { positionMs: number; atMs: number }): void {
    const record: PlaybackRecord = { song: song.id, positionMs, playing: true, atMs };
    const reached = (): number | undefined => {
      const now = this.clock.now();
      return now === undefined
        ? undefined
        : Math.min(song.duration, positionAt(record, now) / 1000) + this.latencySeconds;
    };
    this.playback.play(song, reached() ?? positionMs / 1000, reached);
  }

  run(effect: ListenAlongEffect): void {
    switch (effect.type) {
      case 'follow-set':
        void this.control
          .request('att follow', ...(effect.leader ? [effect.leader] : []))
          .catch((error: Error) => this.log(`att follow: ${error.message}`));
        return;
      case 'follow-target':
        return this.follower.follow(effect.song, effect.record);
      case 'follow-end':
        return this.follower.end();
    }
  }

  /** The last difference measured from the leader, seconds (positive: ahead). */
  get error(): number | undefined {
    return this.follower.lastError;
  }

  close(): void {
    this.clock.close();
    this.publisher.close();
    this.follower.end();
  }
}
