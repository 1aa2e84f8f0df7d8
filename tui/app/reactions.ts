/**
 * What follows each state change outside the screen (effects apart: those are app/effects.ts's):
 * the queue kept on disk, the song that comes next made ready for a gapless join, the song under the
 * cursor fetched ahead, the call's voice started or stopped, listening along told who follows this
 * device, the desktop (MPRIS) shown the new state, the lyrics of the song playing asked for while
 * the lyrics view is open, the cover of the song playing drawn.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import type { CallControl } from '../calls/call-control.js';
import type { Desktop } from '../desktop/desktop.js';
import type { ListenAlong } from '../listen-along/listen-along.js';
import type { LyricsFetcher } from '../lyrics/lyrics-fetcher.js';
import type { CoverArt, CoverSize } from '../cover-art/cover-art.js';
import type { Playback } from '../playback/playback.js';
import { upNext } from '../state/advance.js';
import type { PlayerState } from '../state/model.js';
import { queueSnapshot } from '../state/queue.js';
import { sessionMoved, sessionSnapshot } from '../state/session.js';
import { songUnderCursor } from '../state/selectors.js';
import type { QueueStore } from '../store/queue-store.js';

export interface ReactionTargets {
  store: QueueStore | undefined;
  playback: Playback;
  calls: CallControl;
  along: ListenAlong;
  desktop: Desktop;
  lyrics: LyricsFetcher;
  /** None without a screen. */
  cover?: CoverArt | undefined;
  /** The cover's room on the screen as it is now. */
  coverSize(): CoverSize;
}

/** What the song under the cursor depends on changed (compared by reference: no rows are made here). */
const cursorMoved = (before: PlayerState, after: PlayerState): boolean =>
  after.selected !== before.selected ||
  after.selectedEntry !== before.selectedEntry ||
  after.focus !== before.focus ||
  after.library !== before.library ||
  after.search !== before.search ||
  after.libraryView !== before.libraryView ||
  after.expanded !== before.expanded ||
  after.queue.entries !== before.queue.entries;

export class Reactions {
  private next: SongInfo | undefined;
  private browsed: SongInfo | undefined;

  constructor(private readonly to: ReactionTargets) {}

  changed(before: PlayerState, after: PlayerState): void {
    const { store, playback, calls, along, desktop } = this.to;
    if (after.call !== before.call) calls.callChanged(after.call);
    if (after.queue !== before.queue || sessionMoved(before, after))
      store?.save({ ...queueSnapshot(after.queue), session: sessionSnapshot(after) });
    const next = upNext(after);
    if (next !== this.next) {
      this.next = next;
      playback.setNext(next);
    }
    if (cursorMoved(before, after)) {
      // Not while a search is typed: each key moves the cursor, and the list is ranked again to find it.
      const song = after.search.active ? undefined : songUnderCursor(after);
      if (song !== this.browsed) {
        this.browsed = song;
        playback.browse(song);
      }
    }
    if (after.now?.song !== before.now?.song || after.radio.on !== before.radio.on)
      this.to.cover?.show(after.radio.on ? undefined : after.now?.song, this.to.coverSize());
    // The lyrics view asks for the lyrics of each song it is open over.
    if (after.showLyrics && after.now && after.now.song.id !== after.lyrics?.songId)
      this.to.lyrics.fetch(after.now.song);
    desktop.stateChanged(after);
    along.stateChanged(before, after);
  }
}
