/**
 * Watches the library's folders, one inotify watch each. Node 20's recursive
 * fs.watch on Linux holds a watch per file and re-reads a folder on every event, which froze the
 * daemon for seconds when thousands of files arrived in one folder. A folder's watch reports what
 * happens to its entries, files and subfolders alike, and the handler only tells the catalog,
 * which debounces and rescans; the rescan's walk says which folders exist, and the watches follow.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../log.js';

export class FolderWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private warnedFull = false;

  constructor(
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Watches exactly `folders` from now on. True when a folder was added: files may have arrived in
   * it before its watch existed, so the caller looks again.
   */
  sync(folders: readonly string[]): boolean {
    const wanted = new Set(folders);
    for (const [folder, watcher] of this.watchers) {
      if (wanted.has(folder)) continue;
      watcher.close();
      this.watchers.delete(folder);
    }
    let added = false;
    for (const folder of wanted) {
      if (this.watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, () => this.onChange());
        watcher.on('error', () => {
          // The folder went away (or can no longer be read): the rescan it causes settles it.
          watcher.close();
          if (this.watchers.get(folder) === watcher) this.watchers.delete(folder);
          this.onChange();
        });
        this.watchers.set(folder, watcher);
        added = true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' && !this.warnedFull) {
          this.warnedFull = true;
          this.log.warn(
            `library: out of inotify watches at ${this.watchers.size} folders; changes in the others are seen on restart (raise fs.inotify.max_user_watches)`,
          );
        }
      }
    }
    return added;
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}
