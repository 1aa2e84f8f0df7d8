/**
 * A handoff (docs/protocol.md, Remote control): this device's song, its place and its queue go to
 * another device, which plays on from there while this one stops. The receiver is asked with the
 * remote commands every player takes (`clear`, `add`, and `start` placed at an instant on the
 * daemon's clock a moment ahead, long enough for the commands to reach it and its song to be
 * fetched); at that instant its sound starts where this one's has reached, and this one stops.
 * If the receiver refuses, nothing stops here.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import { remoteWords, songRuns, type RemoteCommand } from '../../common/protocol/remote.js';
import { OfflineError, type DaemonClient } from '../daemon-link/daemon-client.js';

/** How far ahead the receiver's sound is placed: the commands' round trips and its fetch fit in it on a busy machine. */
export const HANDOFF_LEAD_MS = 600;

/** What plays here: the queue (or the song alone), the entry playing, the place in it as heard (s), and whether it moves on (not paused). */
export interface PlayingHere {
  songs: readonly SongInfo[];
  pos: number;
  position: number;
  playing: boolean;
}

export interface HandoffOutput {
  warn(text: string): void;
  log(text: string): void;
  /** The receiver plays `song` now: stop here. */
  handedOff(to: string, song: number): void;
  /** The daemon's clock now (ms), when known. */
  daemonNow(): number | undefined;
  playingHere(): PlayingHere | undefined;
}

export class HandoffSender {
  private busy = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly control: DaemonClient,
    private readonly out: HandoffOutput,
  ) {}

  /** Hands the music to `to`: undefined once it took every command (this one stops at the instant), else why not (said too). */
  async send(to: string): Promise<string | undefined> {
    if (this.busy) return this.refused(`a handoff is under way: ${to} was not sent the music`);
    this.busy = true;
    try {
      const refused = await this.hand(to);
      return refused === undefined ? undefined : this.refused(refused);
    } finally {
      this.busy = false;
    }
  }

  private refused(text: string): string {
    this.out.warn(text);
    return text;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Undefined once `to` took every command, else why not. */
  private async hand(to: string): Promise<string | undefined> {
    const now = this.out.daemonNow();
    const here = this.out.playingHere();
    if (here === undefined) return 'nothing plays here to send';
    if (now === undefined) return `the daemon's clock is not known yet: ${to} was not sent the music`;
    const atMs = now + HANDOFF_LEAD_MS;
    const files = here.songs.map((song) => song.file);
    const commands: RemoteCommand[] = [{ action: 'clear' }];
    for (const songs of songRuns(files, ['remote', to, 'add'])) commands.push({ action: 'add', songs });
    // A paused song is where it is at the instant; it plays there from that place.
    const positionMs = Math.round(here.position * 1000 + (here.playing ? HANDOFF_LEAD_MS : 0));
    commands.push({ action: 'start', pos: here.pos, positionMs, atMs });
    this.out.log(`handoff to ${to}: entry ${here.pos} from ${positionMs} ms at ${atMs.toFixed(1)} (daemon clock)`);
    for (const command of commands) {
      const refused = await this.ask(to, command);
      if (refused !== undefined) return `${to} was not sent the music: ${refused}`;
    }
    // Past the instant already (a slow round trip), the receiver starts further on, where this one is: stop at once.
    const left = atMs - (this.out.daemonNow() ?? atMs);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.out.handedOff(to, (here.songs[here.pos] as SongInfo).id);
      },
      Math.max(0, left),
    );
    this.timers.add(timer);
    return undefined;
  }

  /** Undefined when the device took the command, else why not. */
  private async ask(device: string, command: RemoteCommand): Promise<string | undefined> {
    try {
      const reply = await this.control.request('remote', device, ...remoteWords(command));
      return reply.ok ? undefined : reply.text;
    } catch (error) {
      return error instanceof OfflineError ? 'streamd is away' : (error as Error).message;
    }
  }
}
