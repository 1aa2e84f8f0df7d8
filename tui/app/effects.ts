/**
 * The one place where the state machine's effects are carried out: on playback, listening along,
 * the radio, the call, the marks and playlists kept on the daemon, another device driven, the desktop and the playlist file. An update's effects run in order; then,
 * if playback moved, this device's playback record goes out once (at once after a pause or stop).
 */
import type { CallControl } from '../calls/call-control.js';
import type { Desktop } from '../desktop/desktop.js';
import type { ListenAlong } from '../listen-along/listen-along.js';
import type { MarksControl } from '../marks/marks-control.js';
import type { PlaylistControl } from '../playlists/playlist-control.js';
import type { Playback } from '../playback/playback.js';
import type { UdpActivity } from '../radio/udp-activity.js';
import type { HandoffSender } from '../remote/handoff-sender.js';
import type { RemoteDriver } from '../remote/remote-driver.js';
import { unreachable, type Effect } from '../state/actions.js';
import type { QueueFile } from './queue-file.js';

export interface EffectTargets {
  playback: Playback;
  along: ListenAlong;
  radio: UdpActivity;
  calls: CallControl;
  marks: MarksControl;
  playlists: PlaylistControl;
  desktop: Desktop;
  queueFile: QueueFile;
  remote: RemoteDriver;
  handoff: HandoffSender;
  /** Whether this device follows another now (a play then goes through listening along). */
  following(): boolean;
  /** Quitting: the music to the player without a screen `to` on this machine. */
  handOver(to: string): void;
  quit(): void;
}

export function runEffects(effects: readonly Effect[], to: EffectTargets): void {
  let moved = false;
  let halted = false;
  for (const effect of effects) {
    switch (effect.type) {
      case 'play':
        if (to.following()) to.along.play(effect.song, effect.at);
        else if (effect.inStep) to.along.playInStep(effect.song, effect.inStep);
        else to.playback.play(effect.song, effect.at);
        if (effect.at === 0) to.desktop.songStarted(effect.song);
        moved = true;
        break;
      case 'pause':
        to.playback.pause();
        moved = halted = true;
        break;
      case 'resume':
        to.playback.resume();
        moved = true;
        break;
      case 'stop':
        to.playback.stop();
        moved = halted = true;
        break;
      case 'seek':
        to.playback.seek(effect.at);
        to.desktop.seeked(effect.at);
        moved = true;
        break;
      case 'volume':
        to.playback.setVolume(effect.volume);
        break;
      case 'radio-start':
        to.radio.startRadio();
        moved = true;
        break;
      case 'radio-stop':
        void to.radio.stopRadio();
        break;
      case 'write-playlist':
        to.queueFile.write(effect.songs);
        break;
      case 'follow-set':
      case 'follow-target':
      case 'follow-end':
        to.along.run(effect);
        break;
      case 'call-device':
      case 'answer':
      case 'hangup':
      case 'mute':
      case 'bell':
        to.calls.run(effect);
        break;
      case 'set-sticker':
      case 'count-play':
        to.marks.run(effect);
        break;
      case 'playlists-list':
      case 'playlist-load':
      case 'playlist-save':
      case 'playlist-delete':
      case 'play-queue-save':
      case 'play-queue-load':
        to.playlists.run(effect);
        break;
      case 'remote':
      case 'remote-seek-by':
        to.remote.run(effect);
        break;
      case 'fetch-driven-queue':
        to.remote.fetchQueue(effect.device);
        break;
      case 'send-playback':
        void to.handoff.send(effect.to);
        break;
      case 'hand-over':
        to.handOver(effect.to);
        break;
      case 'quit':
        to.quit();
        break;
      default:
        unreachable(effect);
    }
  }
  if (moved) to.along.playbackMoved(halted);
}
