/**
 * The stickers of every song (ratings, favourites, play counts: common/protocol/stickers.ts), kept
 * under each song's audio key so that they follow a file renamed, moved or tagged anew.
 *
 * On disk (state dir): `stickers.json`, the whole store as of its last compaction, written to a
 * temporary file and renamed; and `stickers.journal`, one JSON line per change since, appended and
 * flushed to the disk before the change is answered. A line holds a song's stickers whole, not a
 * difference, so playing a line twice changes nothing: a daemon killed at any moment loses at most
 * the change it was writing (a torn last line, dropped when read), and never what was kept.
 */
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MAX_STICKERS_PER_SONG, type Stickers } from '../../common/protocol/stickers.js';
import type { Logger } from '../log.js';

/** Past this many journal lines the store is compacted into stickers.json. */
const COMPACT_AFTER_LINES = 2000;
/** A journal line longer than this is not one the store wrote. */
const MAX_JOURNAL_LINE_BYTES = 64 * 1024;

interface JournalLine {
  /** The song's audio key. */
  k: string;
  /** Its stickers after the change; none: every sticker deleted. */
  s: Record<string, string>;
}

interface SnapshotFile {
  format: 1;
  songs: Record<string, Record<string, string>>;
}

/** A change could not be written (a full disk, say): nothing was changed. */
export class StickerWriteError extends Error {
  override name = 'StickerWriteError';
}

export class StickerStore {
  private readonly songs = new Map<string, Stickers>();
  private journal: FileHandle | undefined;
  private journalLines = 0;
  /** Changes are written one at a time, in the order asked. */
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners: Array<() => void> = [];

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  private get snapshotFile(): string {
    return path.join(this.dir, 'stickers.json');
  }

  private get journalFile(): string {
    return path.join(this.dir, 'stickers.journal');
  }

  /** The store kept in `dir`, read back: the last compaction, then the journal since. */
  static async open(dir: string, log: Logger): Promise<StickerStore> {
    const store = new StickerStore(dir, log);
    await store.load();
    store.journal = await open(store.journalFile, 'a');
    return store;
  }

  /** `listener` is told after each change (`idle sticker`). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  get(audioKey: string): Stickers | undefined {
    return this.songs.get(audioKey);
  }

  /** Every song's stickers, by audio key. */
  all(): ReadonlyMap<string, Stickers> {
    return this.songs;
  }

  /**
   * Sets the song's stickers to what `change` makes of them (a value undefined deletes its name),
   * once the change is on disk. @throws StickerWriteError, the store unchanged; RangeError when
   * the song would keep more than MAX_STICKERS_PER_SONG.
   */
  update(audioKey: string, change: (current: Stickers) => Record<string, string | undefined>): Promise<Stickers> {
    const result = this.writing.then(async () => {
      const next: Record<string, string> = { ...this.songs.get(audioKey) };
      for (const [name, value] of Object.entries(change(next))) {
        if (value === undefined) delete next[name];
        else next[name] = value;
      }
      if (Object.keys(next).length > MAX_STICKERS_PER_SONG)
        throw new RangeError(`a song keeps at most ${MAX_STICKERS_PER_SONG} stickers`);
      await this.append({ k: audioKey, s: next });
      if (Object.keys(next).length === 0) this.songs.delete(audioKey);
      else this.songs.set(audioKey, next);
      for (const listener of this.listeners) listener();
      if (this.journalLines >= COMPACT_AFTER_LINES) await this.compact();
      return next;
    });
    this.writing = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.journal?.close();
    this.journal = undefined;
  }

  private async append(line: JournalLine): Promise<void> {
    const journal = this.journal;
    if (!journal) throw new StickerWriteError('the sticker store is closed');
    const before = (await journal.stat()).size;
    try {
      // A full disk may take part of a write and say so only by its count: the rest is written
      // again, and then the disk says why it cannot.
      const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
      for (let at = 0; at < bytes.length;) at += (await journal.write(bytes, at, bytes.length - at)).bytesWritten;
      await journal.datasync();
    } catch (error) {
      // A part written (a full disk) would be a torn line in the middle: cut it off.
      await journal.truncate(before).catch(() => undefined);
      throw new StickerWriteError(
        `cannot keep the change: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    this.journalLines++;
  }

  /** The whole store into stickers.json (written whole, then renamed), then an empty journal. */
  private async compact(): Promise<void> {
    const snapshot: SnapshotFile = { format: 1, songs: Object.fromEntries(this.songs) };
    const tmp = `${this.snapshotFile}.${process.pid}.tmp`;
    try {
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(JSON.stringify(snapshot));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, this.snapshotFile);
      // Killed here, the journal is played over the new snapshot: whole values, so no harm.
      await this.journal?.truncate(0);
      this.journalLines = 0;
    } catch (error) {
      this.log.warn(`stickers: cannot compact the journal (kept as it is): ${(error as Error).message}`);
    }
  }

  private async load(): Promise<void> {
    const snapshot = await readFile(this.snapshotFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (snapshot !== undefined) {
      try {
        const data = JSON.parse(snapshot) as SnapshotFile;
        if (data.format !== 1 || typeof data.songs !== 'object') throw new Error('not a sticker store');
        for (const [key, stickers] of Object.entries(data.songs))
          if (validLine({ k: key, s: stickers })) this.songs.set(key, stickers);
      } catch (error) {
        // Written whole and renamed, it is never torn: someone else wrote this. Keep it for them.
        const aside = `${this.snapshotFile}.unreadable-${Date.now()}`;
        await rename(this.snapshotFile, aside);
        this.log.warn(`stickers: ${this.snapshotFile} cannot be read (${(error as Error).message}); moved to ${aside}`);
      }
    }
    const journal = await readFile(this.journalFile).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    const lines = journal.toString('utf8').split('\n');
    const torn = lines.pop(); // after the last LF: a line cut off by a kill, or nothing
    let unreadable = 0;
    for (const text of lines) {
      const line = readLine(text);
      if (!line) {
        unreadable++;
        continue;
      }
      if (Object.keys(line.s).length === 0) this.songs.delete(line.k);
      else this.songs.set(line.k, line.s);
      this.journalLines++;
    }
    if (torn) this.log.warn('stickers: the last change was cut off when the daemon stopped; it is dropped');
    if (unreadable > 0) this.log.warn(`stickers: ${unreadable} unreadable lines in ${this.journalFile} skipped`);
    if (torn || unreadable > 0 || this.journalLines >= COMPACT_AFTER_LINES) {
      // The journal's good lines go into the snapshot, and the bad ones go with the old journal.
      this.journal = await open(this.journalFile, 'a');
      await this.compact();
      await this.journal.close();
    }
  }
}

function readLine(text: string): JournalLine | undefined {
  if (text.length > MAX_JOURNAL_LINE_BYTES) return undefined;
  try {
    const line = JSON.parse(text) as JournalLine;
    return validLine(line) ? line : undefined;
  } catch {
    return undefined;
  }
}

function validLine(line: JournalLine): boolean {
  return (
    typeof line === 'object' &&
    line !== null &&
    typeof line.k === 'string' &&
    typeof line.s === 'object' &&
    line.s !== null &&
    Object.values(line.s).every((value) => typeof value === 'string')
  );
}
