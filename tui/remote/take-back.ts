/**
 * Started again, the full-screen player takes back the music it left playing on its player without
 * a screen (state/quit.ts): once it has the library (to find the songs in), the daemon's clock (to
 * place its first sound) and its own record taking remote control, it asks that player to send its
 * music here, as `M` does. That player, started for the hand-over, ends once its music has left.
 */
import type { DeviceInfo } from '../../common/protocol/records.js';
import type { RemoteCommand } from '../../common/protocol/remote.js';

/** The daemon, the library and the clock come within this long of a start, or the music stays where it is. */
const WITHIN_MS = 20_000;
const LOOK_EVERY_MS = 100;

export interface TakeBackOutput {
  deviceName: string;
  /** The player without a screen this one hands its music to. */
  headless: string;
  devices(): readonly DeviceInfo[];
  hasLibrary(): boolean;
  daemonNow(): number | undefined;
  ask(device: string, command: RemoteCommand): void;
  say(text: string): void;
  log(text: string): void;
}

export class TakeBack {
  private timer: NodeJS.Timeout | undefined;
  private readonly deadline = Date.now() + WITHIN_MS;

  constructor(private readonly out: TakeBackOutput) {}

  start(): void {
    this.timer = setTimeout(() => this.look(), LOOK_EVERY_MS);
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private look(): void {
    if (Date.now() > this.deadline) return this.out.log('take-back: the daemon, library or clock did not come in time');
    const { deviceName, headless } = this.out;
    const devices = this.out.devices();
    const here = devices.find((device) => device.name === deviceName);
    if (!here || !this.out.hasLibrary() || this.out.daemonNow() === undefined) return this.start();
    const there = devices.find((device) => device.name === headless);
    if (!there?.playback) return; // nothing left playing
    if (!there.playback.playing)
      return this.out.say(`${headless} has the music, paused: M on it in the devices panel brings it here`);
    if (here.control !== true)
      return this.out.say(`${headless} plays the music; this player refuses remote control, so it stays there`);
    this.out.log(`taking the music back from ${headless}`);
    this.out.say(`taking the music back from ${headless}`);
    this.out.ask(headless, { action: 'send', to: deviceName });
  }
}
