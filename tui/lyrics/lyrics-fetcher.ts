/**
 * The lyrics of the song playing, asked of the daemon (`lyrics`, docs/protocol.md, Pictures and
 * lyrics) when the lyrics view is open and the song changes; the answer, or why there is none,
 * goes to the state machine. One request at a time per song: a quick run of songs asks once each.
 */
import { parseLyricsReply, ReplyFormatError } from '../../common/protocol/replies.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { OfflineError, type DaemonClient } from '../daemon-link/daemon-client.js';
import type { PlayerEvent } from '../state/actions.js';

export class LyricsFetcher {
  private asked: number | undefined;

  constructor(
    private readonly control: DaemonClient,
    private readonly tell: (event: PlayerEvent) => void,
  ) {}

  /** Asks for `song`'s lyrics, unless they were the last asked for (`again`: asked anyway, after a failure). */
  fetch(song: SongInfo, again = false): void {
    if (song.id === this.asked && !again) return;
    this.asked = song.id;
    void this.ask(song);
  }

  private async ask(song: SongInfo): Promise<void> {
    const answer = (
      status: 'ready' | 'none' | 'failed',
      note: string,
      reply?: ReturnType<typeof parseLyricsReply>,
    ): void =>
      this.tell({
        type: 'lyrics',
        lyrics: { songId: song.id, status, note, synced: reply?.synced ?? false, lines: reply?.lines ?? [] },
      });
    try {
      const reply = await this.control.request('lyrics', song.id);
      if (reply.ok) {
        const lyrics = parseLyricsReply(reply.fields);
        answer('ready', lyrics.source === 'lrc' ? 'from its .lrc' : 'from its tags', lyrics);
      } else if (reply.code === 'not_found' || reply.code === 'unknown_command') {
        answer('none', reply.code === 'unknown_command' ? 'this streamd serves no lyrics' : 'no lyrics for this song');
      } else answer('failed', `streamd: ${reply.text}`);
    } catch (error) {
      this.asked = undefined; // asked again once the daemon is back
      const why =
        error instanceof OfflineError
          ? 'streamd is away'
          : error instanceof ReplyFormatError
            ? `streamd sent lyrics that do not read: ${error.message}`
            : (error as Error).message;
      answer('failed', why);
    }
  }
}
