/**
 * The player's playlist file: `--queue-file` is read at start (its songs become the queue once the
 * library is there to find them in) and is where `W` writes the queue; without it, `W` writes
 * queue.m3u8 in the state dir.
 */
import path from 'node:path';
import type { SongInfo } from '../../common/protocol/records.js';
import { readPlaylist, writePlaylist } from '../store/queue-store.js';

export interface QueueFileOptions {
  /** Where the queue is kept; W writes there when no --queue-file is given. */
  stateDir?: string | undefined;
  /** --queue-file: loaded at start, and where W writes. */
  queueFile?: string | undefined;
}

export class QueueFile {
  /** The --queue-file's songs, until the library is there to find them in. */
  private songs: string[] | undefined;

  constructor(
    private readonly options: QueueFileOptions,
    private readonly say: (text: string, error: boolean) => void,
  ) {
    if (!options.queueFile) return;
    try {
      this.songs = readPlaylist(options.queueFile);
    } catch (error) {
      // Not there yet is fine: W will write it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        say(`${options.queueFile}: ${(error as Error).message}`, true);
    }
  }

  /** The --queue-file's songs once, when the library has come (undefined: none to load). */
  take(): { files: string[]; from: string } | undefined {
    const files = this.songs;
    this.songs = undefined;
    return files && { files, from: path.basename(this.options.queueFile ?? '') };
  }

  /** W: the queue as an M3U8 playlist, said on the status line either way. */
  write(songs: readonly SongInfo[]): void {
    const file = this.options.queueFile ?? (this.options.stateDir && path.join(this.options.stateDir, 'queue.m3u8'));
    if (!file) return this.say('no state dir to write the playlist to: give --queue-file', true);
    try {
      writePlaylist(file, songs);
      const count = `${songs.length} song${songs.length === 1 ? '' : 's'}`;
      this.say(`queue written to ${file} (${count}, paths from the library root)`, false);
    } catch (error) {
      this.say(`the playlist could not be written: ${(error as Error).message}`, true);
    }
  }
}
