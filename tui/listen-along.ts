/**
 * The wiring of listening along (issue: two rooms, one song, the same moment): the daemon's clock
 * estimated here, this device's playback record published for its followers, and, while this
 * device follows another, the follow effects carried out on playback's SyncFollower.
 */
import type { SongInfo } from '../common/protocol/records.js';
import type { DaemonClient } from './client/daemon-client.js';
import type { Playback } from './playback/playback.js';
import { SyncFollower } from './playback/sync-follower.js';
import type { FollowEffect } from './state/follow.js';
import type { PlayerState } from './state/state.js';
import type { Effect } from './state/update.js';
import { DaemonClock } from './sync/daemon-clock.js';
import { PlaybackPublisher } from './sync/playback-publisher.js';

/** Effects after which this device's playback record changes. */
const MOVES = new Set<Effect['type']>(['play', 'pause', 'resume', 'seek', 'stop', 'radio-start']);

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
    latencySeconds: number,
    log: (text: string) => void,
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
        };
      },
      () => this.followers > 0,
    );
    this.follower = new SyncFollower(playback, () => this.clock.now(), latencySeconds, log);
    playback.on('advanced', () => this.publisher.changed());
  }

  start(): void {
    this.clock.start();
  }

  /** The daemon's clock now (ms), once estimated. */
  daemonNow(): number | undefined {
    return this.clock.now();
  }

  /** A state change: this device's record is published again when its playback moved, or when a device starts following it. */
  changed(before: PlayerState, after: PlayerState, effects: readonly Effect[]): void {
    // Who follows this device changes only with the device list: counted then, not at every tick.
    let newFollower = false;
    if (after.devices !== before.devices) {
      const followers = after.devices.filter((device) => device.follows === after.deviceName).length;
      newFollower = followers > this.followers;
      this.followers = followers;
    }
    this.clock.busy = this.followers > 0 || after.follow !== undefined;
    const halted = effects.some((effect) => effect.type === 'pause' || effect.type === 'stop');
    if (newFollower || effects.some((effect) => MOVES.has(effect.type))) this.publisher.changed(halted);
  }

  /** A play while following goes through the follower: it starts where the leader will be heard. */
  play(song: SongInfo, at: number): void {
    this.follower.play(song, at);
  }

  run(effect: FollowEffect): void {
    switch (effect.type) {
      case 'follow-set':
        void this.control.request('att follow', ...(effect.leader ? [effect.leader] : [])).catch(() => {});
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
