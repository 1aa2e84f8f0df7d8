/**
 * What follows the player's state outside the screen, wired here so that app.ts stays the wiring
 * of keys, state and playback: the queue kept on disk, the song that comes next made ready for a
 * gapless join, the song under the cursor fetched ahead, playlists written (W) and read
 * (--queue-file), MPRIS told of each change, and the song-change hook run at each song's start.
 */
import path from 'node:path';
import type { SongInfo } from '../common/protocol/records.js';
import { Mpris, type MprisControl } from './desktop/mpris.js';
import { SongHook } from './desktop/song-hook.js';
import type { Playback } from './playback/playback.js';
import { upNext } from './state/advance.js';
import { queueFromSnapshot, queueSnapshot, type QueueState } from './state/queue.js';
import { songUnderCursor, type PlayerState } from './state/state.js';
import type { Effect } from './state/update.js';
import { QueueStore, readPlaylist, writePlaylist } from './store/queue-store.js';

export interface FollowerOptions {
  /** Where the queue is kept (queue.json) and W writes when no --queue-file is given. */
  stateDir?: string | undefined;
  /** --queue-file: loaded at start, and where W writes. */
  queueFile?: string | undefined;
  /** on_song_change: a shell command. */
  onSongChange?: string | undefined;
  /** Be an MPRIS player on the session bus. */
  mpris: boolean;
}

export interface FollowerOutput {
  say(text: string, error: boolean): void;
  log(text: string): void;
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

export class StateFollowers {
  private readonly store: QueueStore | undefined;
  private readonly hook: SongHook | undefined;
  private mpris: Mpris | undefined;
  private closed = false;
  private next: SongInfo | undefined;
  private browsed: SongInfo | undefined;
  /** The --queue-file's songs, until the library is there to find them in. */
  private playlist: string[] | undefined;

  constructor(
    private readonly options: FollowerOptions,
    private readonly playback: Playback,
    private readonly out: FollowerOutput,
    deviceName: string,
  ) {
    this.store =
      options.stateDir === undefined ? undefined : new QueueStore(options.stateDir, (text) => out.say(text, true));
    this.hook = options.onSongChange ? new SongHook(options.onSongChange, deviceName, out.log) : undefined;
    if (options.queueFile) {
      try {
        this.playlist = readPlaylist(options.queueFile);
      } catch (error) {
        // Not there yet is fine: W will write it.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          out.say(`${options.queueFile}: ${(error as Error).message}`, true);
      }
    }
  }

  /** The queue kept from the last run (or an empty one). */
  savedQueue(seed: number): QueueState | undefined {
    const saved = this.store?.load();
    return saved && queueFromSnapshot(saved, seed);
  }

  /** Starts MPRIS (asynchronous: the bus may take a moment to answer). */
  startMpris(control: MprisControl): void {
    if (!this.options.mpris) return;
    void Mpris.start(control, this.out.log).then((mpris) => {
      if (this.closed) mpris?.close();
      else this.mpris = mpris;
    });
  }

  /** The --queue-file's songs once, when the library has come (undefined: none to load). */
  takePlaylist(): { files: string[]; from: string } | undefined {
    const files = this.playlist;
    this.playlist = undefined;
    return files && { files, from: path.basename(this.options.queueFile ?? '') };
  }

  changed(before: PlayerState, after: PlayerState, effects: readonly Effect[]): void {
    if (after.queue !== before.queue) this.store?.save(queueSnapshot(after.queue));
    const next = upNext(after);
    if (next !== this.next) {
      this.next = next;
      this.playback.setNext(next);
    }
    if (cursorMoved(before, after)) {
      // Not while a search is typed: each key moves the cursor, and the list is ranked again to find it.
      const song = after.search.active ? undefined : songUnderCursor(after);
      if (song !== this.browsed) {
        this.browsed = song;
        this.playback.browse(song);
      }
    }
    const play = effects.find((effect): effect is Extract<Effect, { type: 'play' }> => effect.type === 'play');
    if (play && play.at === 0) this.hook?.songChanged(play.song);
    const seek = effects.find((effect): effect is Extract<Effect, { type: 'seek' }> => effect.type === 'seek');
    this.mpris?.update(after, seek?.at);
    const write = effects.find(
      (effect): effect is Extract<Effect, { type: 'write-playlist' }> => effect.type === 'write-playlist',
    );
    if (write) this.writePlaylist(write.songs);
  }

  /** Playback went on into the next song by itself (gapless): it starts as much as one played by a key. */
  advanced(song: SongInfo): void {
    this.hook?.songChanged(song);
  }

  private writePlaylist(songs: readonly SongInfo[]): void {
    const file = this.options.queueFile ?? (this.options.stateDir && path.join(this.options.stateDir, 'queue.m3u8'));
    if (!file) return this.out.say('no state dir to write the playlist to: give --queue-file', true);
    try {
      writePlaylist(file, songs);
      this.out.say(
        `queue written to ${file} (${songs.length} song${songs.length === 1 ? '' : 's'}, paths from the library root)`,
        false,
      );
    } catch (error) {
      this.out.say(`the playlist could not be written: ${(error as Error).message}`, true);
    }
  }

  close(): void {
    this.closed = true;
    this.store?.flush();
    this.hook?.close();
    this.mpris?.close();
  }
}
