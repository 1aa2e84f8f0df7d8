/**
 * The queue kept across restarts, one for each device name in the player's state dir
 * (queue-<name>.json: the kitchen's player does not open with the desk's queue), and playlists written
 * out (W). A save is written whole to a temporary file and renamed over the old one, so a crash or
 * a full disk leaves the last good queue; saves close together are made one.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { SongInfo } from '../../common/protocol/records.js';
import { formatM3u8, parseM3u8 } from '../../common/playlist/m3u8.js';
import { writeAtomically } from './atomic-file.js';

const FORMAT = 1;
/** Changes within this long are saved together (a J held down, an album added song by song). */
const SAVE_DELAY_MS = 200;

/** A queue as it is kept: its songs, and the place and the shuffle round as indexes into them. */
export interface SavedQueue {
  songs: SongInfo[];
  place: number | null;
  shuffle: boolean;
  order: number[];
  seed: number;
  /** What the player keeps of itself beside the queue (tui/state/session.ts reads it, checking each value). */
  session?: object | undefined;
}

export class QueueStore {
  private pending: SavedQueue | undefined;
  private timer: NodeJS.Timeout | undefined;

  readonly file: string;

  /**
   * The queue of the device `device`. The one queue.json that players before queues by device
   * kept is taken over by the first device to start (its queue it most likely was).
   */
  constructor(
    readonly dir: string,
    private readonly warn: (text: string) => void,
    device: string,
  ) {
    // Any name is a file name so: encodeURIComponent leaves no '/' and no name of '.' or '..'.
    this.file = path.join(dir, `queue-${encodeURIComponent(device)}.json`);
    const shared = path.join(dir, 'queue.json');
    if (existsSync(shared) && !existsSync(this.file)) {
      try {
        renameSync(shared, this.file);
      } catch (error) {
        warn(`the saved queue ${shared} could not be moved to ${this.file}: ${(error as Error).message}`);
      }
    }
  }

  /** The saved queue, or undefined (none yet, or unreadable: said, and an empty queue it is). */
  load(): SavedQueue | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const saved = JSON.parse(text) as SavedQueue & { format: number };
      if (saved.format !== FORMAT || !Array.isArray(saved.songs) || !Array.isArray(saved.order))
        throw new Error('not a queue this version wrote');
      return {
        songs: saved.songs,
        place: saved.place,
        shuffle: saved.shuffle === true,
        order: saved.order,
        seed: saved.seed,
        session: typeof saved.session === 'object' && saved.session !== null ? saved.session : undefined,
      };
    } catch (error) {
      this.warn(
        `the saved queue (${this.file}) could not be read: ${(error as Error).message}; starting with an empty one`,
      );
      return undefined;
    }
  }

  /** Saves soon (changes close together are one write). */
  save(queue: SavedQueue): void {
    this.pending = queue;
    this.timer ??= setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  /** Writes what is pending now (quitting). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const queue = this.pending;
    this.pending = undefined;
    if (!queue) return;
    try {
      writeAtomically(this.file, JSON.stringify({ format: FORMAT, ...queue }));
    } catch (error) {
      this.warn(`the queue could not be saved: ${(error as Error).message}`);
    }
  }
}

/** Writes `songs` as an M3U8 playlist. @throws what the file system says (the caller tells the user). */
export function writePlaylist(file: string, songs: readonly SongInfo[]): void {
  writeAtomically(file, formatM3u8(songs));
}

/** The file names of an M3U8 playlist. @throws when it cannot be read. */
export function readPlaylist(file: string): string[] {
  return parseM3u8(readFileSync(file, 'utf8'));
}
