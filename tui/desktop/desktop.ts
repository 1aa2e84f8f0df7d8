/**
 * The desktop around the player: MPRIS on the session bus (when asked for and a bus answers) and the
 * `on_song_change` command. Told of each state change, of each seek and of each song that starts.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import type { PlayerState } from '../state/model.js';
import type { Mpris, MprisControl } from './mpris.js';
import { SongHook } from './song-hook.js';

export interface DesktopOptions {
  /** on_song_change: a shell command. */
  onSongChange?: string | undefined;
  /** Be an MPRIS player on the session bus. */
  mpris: boolean;
}

export class Desktop {
  private readonly hook: SongHook | undefined;
  private mpris: Mpris | undefined;
  private closed = false;

  constructor(
    private readonly options: DesktopOptions,
    deviceName: string,
    private readonly log: (text: string) => void,
  ) {
    this.hook = options.onSongChange ? new SongHook(options.onSongChange, deviceName, log) : undefined;
  }

  /**
   * Starts MPRIS (asynchronous: the bus may take a moment to answer). dbus-next is loaded only
   * when there is a bus: it is a tenth of the player's start-up otherwise (docs/benchmarks.md).
   */
  start(control: MprisControl): void {
    if (!this.options.mpris) return;
    if (!process.env['DBUS_SESSION_BUS_ADDRESS']) {
      this.log('MPRIS off: no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not set)');
      return;
    }
    void import('./mpris.js').then(async ({ Mpris }) => {
      const mpris = await Mpris.start(control, this.log);
      if (this.closed) mpris?.close();
      else this.mpris = mpris;
    });
  }

  stateChanged(state: PlayerState): void {
    this.mpris?.update(state);
  }

  seeked(at: number): void {
    this.mpris?.seeked(at);
  }

  /** A song starts from its beginning, by a key or by a gapless join. */
  songStarted(song: SongInfo): void {
    this.hook?.songChanged(song);
  }

  close(): void {
    this.closed = true;
    this.hook?.close();
    this.mpris?.close();
  }
}
