/**
 * Scaled covers kept on disk (the state dir's `covers/`), by the picture process (picture-worker.ts):
 * a cover scaled once is read back after a restart instead of scaled again, as Navidrome's and
 * supysonic's image caches do. A file's name is a hash of what it was made from (the cover file's
 * folder, name and stamp, the size and the type), so a cover changed or replaced is never served
 * stale: its old pictures are no longer asked for, and leave first when the store is full.
 *
 * Nothing here may cost a cover: a store that cannot be read or written (a full disk, a file in the
 * way, a broken picture in it) is as a store without that picture, and the picture is scaled.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { imageType } from './cover-file.js';

/** When full, the oldest pictures go until the store holds this share of its bound. */
const AFTER_EVICTION = 0.9;
/**
 * Pictures kept at most, whatever their bytes: each is a file and an entry in this process's
 * memory, and a client may ask every size from 1 to 2048 of every album.
 */
const MAX_PICTURES = 50_000;

/** What a kept picture was made from. */
export interface ScaledKey {
  folder: string;
  /** The cover file's name and stamp (cover-file.ts). */
  name: string;
  stamp: string;
  size: number;
  mime: string;
}

interface Entry {
  bytes: number;
  /** When it was written (ms): the oldest leave first. */
  at: number;
}

export class ScaledStore {
  /** What the folder holds, read on first use. */
  private entries: Map<string, Entry> | undefined;
  private bytes = 0;
  private writes = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** The picture kept for `key`, or undefined (none, unreadable, or not the picture it should be: then removed). */
  get(key: ScaledKey): Buffer | undefined {
    const name = fileName(key);
    if (!this.load().has(name)) return undefined;
    let data: Buffer;
    try {
      data = readFileSync(path.join(this.dir, name));
    } catch {
      this.forget(name);
      return undefined;
    }
    if (imageType(data) === key.mime) return data;
    this.remove(name); // written over or cut short by something else: scaled again
    return undefined;
  }

  /** True when a picture is kept for `key` (not read). */
  has(key: ScaledKey): boolean {
    return this.load().has(fileName(key));
  }

  /** True when one more picture of `bytes` would push out others. */
  wouldEvict(bytes: number): boolean {
    const entries = this.load();
    return this.bytes + bytes > this.maxBytes || entries.size + 1 > MAX_PICTURES;
  }

  /** Keeps `data` for `key`, the oldest pictures removed past the bound; false when it could not be written. */
  put(key: ScaledKey, data: Uint8Array): boolean {
    if (data.length > this.maxBytes) return false;
    const entries = this.load();
    const name = fileName(key);
    const file = path.join(this.dir, name);
    // Written whole under another name first: a reader (or a crash) never sees half a picture.
    const partial = `${file}.${process.pid}.${this.writes++}.partial`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(partial, data, { mode: 0o600 });
      renameSync(partial, file);
    } catch {
      try {
        unlinkSync(partial);
      } catch {
        // never made
      }
      return false;
    }
    this.forget(name);
    entries.set(name, { bytes: data.length, at: Date.now() });
    this.bytes += data.length;
    if (this.bytes > this.maxBytes || entries.size > MAX_PICTURES) this.evict();
    return true;
  }

  private load(): Map<string, Entry> {
    if (this.entries) return this.entries;
    const entries = new Map<string, Entry>();
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      // none yet, or not a folder: as empty (writes fail, and pictures are scaled every time)
    }
    for (const name of names) {
      if (name.endsWith('.partial')) {
        this.unlink(name); // left by a process that ended mid-write
        continue;
      }
      if (!KEPT_NAME.test(name)) continue; // not ours: left alone, and not counted
      try {
        const stats = statSync(path.join(this.dir, name));
        if (stats.isFile()) entries.set(name, { bytes: stats.size, at: stats.mtimeMs });
      } catch {
        // gone meanwhile
      }
    }
    this.entries = new Map([...entries].sort(([, a], [, b]) => a.at - b.at));
    this.bytes = [...entries.values()].reduce((sum, entry) => sum + entry.bytes, 0);
    if (this.bytes > this.maxBytes || this.entries.size > MAX_PICTURES) this.evict(); // the bound was lowered since
    return this.entries;
  }

  /** The oldest pictures removed until the store holds AFTER_EVICTION of its bounds. */
  private evict(): void {
    const entries = this.load();
    for (const name of entries.keys()) {
      if (this.bytes <= this.maxBytes * AFTER_EVICTION && entries.size <= MAX_PICTURES * AFTER_EVICTION) break;
      this.remove(name);
    }
  }

  private remove(name: string): void {
    this.unlink(name);
    this.forget(name);
  }

  private forget(name: string): void {
    const entry = this.entries?.get(name);
    if (!entry) return;
    this.entries?.delete(name);
    this.bytes -= entry.bytes;
  }

  private unlink(name: string): void {
    try {
      unlinkSync(path.join(this.dir, name));
    } catch {
      // gone already
    }
  }
}

const KEPT_NAME = /^[0-9a-f]{40}\.(jpg|png)$/;

function fileName(key: ScaledKey): string {
  const hash = createHash('sha1')
    .update([key.folder, key.name, key.stamp, key.size, key.mime].join('\0'))
    .digest('hex');
  return `${hash}.${key.mime === 'image/png' ? 'png' : 'jpg'}`;
}
