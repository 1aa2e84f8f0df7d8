/**
 * Each user's play queue as a client saved it (`savePlayQueue`), to be taken up on another device
 * (`getPlayQueue`): kept in `play-queues.json` in the state dir, written whole and renamed. Songs
 * are kept by path, which outlives a song's id when the catalog is made anew.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Songs one saved queue keeps at most. */
export const MAX_QUEUE_SONGS = 10_000;

export interface SavedQueue {
  files: string[];
  /** The song playing, by path, and where in it (ms). */
  current: string | undefined;
  positionMs: number;
  changed: string;
  changedBy: string;
}

export class PlayQueueStore {
  private queues = new Map<string, SavedQueue>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(stateDir: string): Promise<PlayQueueStore> {
    const store = new PlayQueueStore(path.join(stateDir, 'play-queues.json'));
    try {
      const saved = JSON.parse(await readFile(store.file, 'utf8')) as Record<string, SavedQueue>;
      store.queues = new Map(Object.entries(saved));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return store;
  }

  get(user: string): SavedQueue | undefined {
    return this.queues.get(user);
  }

  /** Keeps `queue` as `user`'s, once it is on disk. */
  save(user: string, queue: SavedQueue): Promise<void> {
    const next = this.writing.then(async () => {
      const queues = new Map(this.queues).set(user, { ...queue, files: queue.files.slice(0, MAX_QUEUE_SONGS) });
      const tmp = `${this.file}.${process.pid}.tmp`;
      try {
        const handle = await open(tmp, 'w', 0o600);
        try {
          await handle.writeFile(JSON.stringify(Object.fromEntries(queues)));
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, this.file);
      } catch (error) {
        await unlink(tmp).catch(() => undefined);
        throw error;
      }
      this.queues = queues;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
