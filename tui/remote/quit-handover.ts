/**
 * The full-screen player's music handed, as it quits, to a player without a screen on this machine
 * (state/quit.ts): the one already there under that name, else one started for it
 * (`streamtui --headless --taking-over`), waited for until its record says it takes remote control,
 * then sent the music as any handoff (remote/handoff-sender.ts).
 */
import type { DeviceInfo } from '../../common/protocol/records.js';

/** A player without a screen starting on a busy machine (Node, its modules, the daemon's library) gets this long. */
const READY_WITHIN_MS = 20_000;
const LOOK_EVERY_MS = 50;

export interface QuitHandoverOutput {
  devices(): readonly DeviceInfo[];
  /** Starts a player without a screen named `name`, on its own (it outlives this one). */
  startHeadless(name: string): void;
  /** The handoff: undefined once `to` took the music, else why not. */
  send(to: string): Promise<string | undefined>;
  failed(text: string): void;
  log(text: string): void;
}

export class QuitHandover {
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: QuitHandoverOutput) {}

  handOver(to: string): void {
    void this.run(to).then((refused) => {
      if (refused !== undefined && !this.closed) this.out.failed(refused);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async run(to: string): Promise<string | undefined> {
    const ready = (): boolean => this.out.devices().some((device) => device.name === to && device.control === true);
    if (!ready()) {
      this.out.log(`starting ${to} to take the music over`);
      try {
        this.out.startHeadless(to);
      } catch (error) {
        return `it could not be started: ${(error as Error).message}`;
      }
      for (const deadline = Date.now() + READY_WITHIN_MS; !ready();) {
        if (this.closed) return undefined;
        if (Date.now() > deadline) return `it did not come up within ${READY_WITHIN_MS / 1000} s`;
        await new Promise((resolve) => (this.timer = setTimeout(resolve, LOOK_EVERY_MS)));
      }
    }
    return this.closed ? undefined : this.out.send(to);
  }
}
