/**
 * Ratings, favourites and play counts kept on the daemon (docs/protocol.md, Stickers): the state
 * machine's marks effects carried out as requests on the control connection (`sticker set`,
 * `sticker delete`, `played`). What the daemon keeps comes back through `idle sticker` (DaemonSync),
 * so every device shows the daemon's word; a refusal is said on the status line.
 */
import { OfflineError, type DaemonClient } from '../daemon-link/daemon-client.js';
import type { MarksEffect } from '../state/actions.js';
import { unreachable } from '../state/actions.js';

export interface MarksOutput {
  warn(text: string): void;
}

export class MarksControl {
  constructor(
    private readonly control: DaemonClient,
    private readonly out: MarksOutput,
  ) {}

  run(effect: MarksEffect): void {
    switch (effect.type) {
      case 'set-sticker': {
        const id = effect.song.id;
        const request =
          effect.value === undefined
            ? this.control.request('sticker delete', 'song', id, effect.name)
            : this.control.request('sticker set', 'song', id, effect.name, effect.value);
        // Deleting what is not there is what was wanted.
        void this.answered(
          request,
          `${effect.name} of ${effect.song.file}`,
          effect.value === undefined ? 'not_found' : undefined,
        );
        break;
      }
      case 'count-play':
        void this.answered(this.control.request('played', effect.song.id), `the play of ${effect.song.file}`);
        break;
      default:
        unreachable(effect);
    }
  }

  private async answered(
    request: Promise<{ ok: boolean; code?: string | undefined; text: string }>,
    what: string,
    fine?: string,
  ): Promise<void> {
    try {
      const reply = await request;
      if (!reply.ok && reply.code !== fine) this.out.warn(`streamd did not keep ${what}: ${reply.text}`);
    } catch (error) {
      const why = error instanceof OfflineError ? 'streamd is away' : (error as Error).message;
      this.out.warn(`${what} not kept: ${why}`);
    }
  }
}
