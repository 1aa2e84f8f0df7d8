/**
 * Stored playlists on the daemon (docs/protocol.md, Stored playlists), for the playlists view:
 * the list asked for when the view opens and when `idle stored_playlist` says it changed; a
 * playlist loaded into the queue or added to it (`listplaylist`); the queue saved under a name
 * (`save`, then `playlistadd` for what one command line cannot hold); a playlist deleted (`rm`).
 */
import { formatCommand, quoteArg } from '../../common/protocol/args.js';
import { parsePlaylistList } from '../../common/protocol/replies.js';
import { OfflineError, type DaemonClient, type Reply } from '../daemon-link/daemon-client.js';
import type { SongInfo } from '../../common/protocol/records.js';
import type { PlayerEvent, PlaylistEffect } from '../state/actions.js';
import { unreachable } from '../state/actions.js';

/** A command line the daemon takes (max_line_bytes is 4,096 by default), with room to spare. */
const MAX_SAVE_LINE_BYTES = 3500;

export class PlaylistControl {
  constructor(
    private readonly control: DaemonClient,
    private readonly tell: (event: PlayerEvent) => void,
    private readonly say: (text: string, error: boolean) => void,
    /** The Subsonic API user whose play queue this player shares. */
    private readonly user: string,
  ) {}

  run(effect: PlaylistEffect): void {
    switch (effect.type) {
      case 'playlists-list':
        this.list();
        break;
      case 'playlist-load':
        void this.load(effect.name, effect.mode);
        break;
      case 'playlist-save':
        void this.save(
          effect.name,
          effect.songs.map((song) => song.id),
        );
        break;
      case 'playlist-delete':
        void this.attempt(`delete '${effect.name}'`, async () => {
          await this.ok(this.control.request('rm', effect.name));
          this.say(`playlist '${effect.name}' deleted`, false);
        });
        break;
      case 'play-queue-save':
        void this.savePlayQueue(effect.songs, effect.current, effect.positionMs);
        break;
      case 'play-queue-load':
        void this.attempt('take up the play queue', async () => {
          const reply = await this.ok(this.control.request('playqueue', this.user));
          const files = reply.fields.filter(([key]) => key === 'file').map(([, file]) => file);
          const field = (key: string): string | undefined => reply.fields.find(([name]) => name === key)?.[1];
          const current = field('current');
          this.tell({
            type: 'play-queue',
            files,
            current: current === undefined ? undefined : Number(current),
            positionMs: Number(field('position_ms') ?? 0),
            from: field('changed_by') ?? 'another device',
          });
        });
        break;
      default:
        unreachable(effect);
    }
  }

  /** The daemon's playlists, to the view (at start, when the view opens, and when another device changed them). */
  list(): void {
    void this.attempt('list the playlists', async () => {
      const reply = await this.ok(this.control.request('listplaylists'));
      this.tell({ type: 'playlists', names: parsePlaylistList(reply.fields) });
    });
  }

  private async load(name: string, mode: 'replace' | 'append'): Promise<void> {
    await this.attempt(`load '${name}'`, async () => {
      const reply = await this.ok(this.control.request('listplaylist', name));
      const files = reply.fields.filter(([key]) => key === 'file').map(([, file]) => file);
      this.tell({ type: 'queue-loaded', files, from: `the playlist '${name}'`, mode });
    });
  }

  /** `save` with as many songs as one line holds, then `playlistadd` with the rest, a line at a time. */
  private async save(name: string, ids: number[]): Promise<void> {
    await this.attempt(`save '${name}'`, async () => {
      let first = true;
      let at = 0;
      while (first || at < ids.length) {
        const command = first ? 'save' : 'playlistadd';
        const batch: number[] = [];
        while (
          at < ids.length &&
          Buffer.byteLength(formatCommand(command, name, ...batch, ids[at] as number)) <= MAX_SAVE_LINE_BYTES
        )
          batch.push(ids[at++] as number);
        await this.ok(this.control.request(command, name, ...batch));
        first = false;
      }
      this.say(`the queue saved as '${name}' (${ids.length} songs)`, false);
    });
  }

  /**
   * `saveplayqueue` with as many songs as one line holds: from the entry playing on, then those
   * before it (a queue longer than a line keeps what is still to come).
   */
  private async savePlayQueue(songs: readonly SongInfo[], current: number, positionMs: number): Promise<void> {
    await this.attempt('keep the play queue', async () => {
      const from = Math.max(0, current);
      const all = songs.map((song) => song.id);
      // The line's length counted once, then by each song dropped (a queue of thousands is not formatted again for each).
      const cost = all.map((id) => 1 + Buffer.byteLength(quoteArg(String(id))));
      let bytes = Buffer.byteLength(formatCommand('saveplayqueue', this.user, current, positionMs));
      for (const one of cost) bytes += one;
      let start = 0;
      let end = all.length;
      while (bytes > MAX_SAVE_LINE_BYTES && end - start > 1) {
        // Drop from the front while entries before the current one remain, else from the end.
        bytes -= start < from ? (cost[start++] as number) : (cost[--end] as number);
      }
      const ids = all.slice(start, end);
      await this.ok(
        this.control.request('saveplayqueue', this.user, current < 0 ? -1 : current - start, positionMs, ...ids),
      );
      const cut = songs.length - ids.length;
      this.say(
        `the play queue is kept for ${this.user}: ${ids.length} song${ids.length === 1 ? '' : 's'}${cut > 0 ? ` (${cut} left out: one line holds no more)` : ''}`,
        false,
      );
    });
  }

  private async ok(request: Promise<Reply>): Promise<Reply> {
    const reply = await request;
    if (!reply.ok) throw new Error(reply.text || reply.code || 'refused');
    return reply;
  }

  private async attempt(what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.say(`cannot ${what}: ${error instanceof OfflineError ? 'streamd is away' : (error as Error).message}`, true);
    }
  }
}
