/**
 * The catalog: the songs of the library, found by id, path or name. It loads what the last run
 * stored, rescans (only new or changed files are analysed, several at once), watches the folder
 * and keeps the encoded `lista` answer ready, since that is the command clients send most.
 */
import { realpath } from 'node:fs/promises';
import { encodeFields } from '../../common/protocol/response.js';
import { songFields, type SongFormat } from '../../common/protocol/records.js';
import type { Logger } from '../log.js';
import { isTransient } from './analyze.js';
import { analyzeFiles } from './analyze-pool.js';
import { FolderWatch } from './folder-watch.js';
import { LoudnessPass } from './loudness-pass.js';
import { buildIndex, findSong, type SongIndex } from './lookup.js';
import type { AlbumLoudness, CatalogSong, FileStamp } from './song.js';
import { loadStoredCatalog, saveStoredCatalog } from './store.js';
import { libraryRoots, walkLibrary, type LibraryRoot, type WalkResult } from './walk.js';

export type CatalogState = 'loading' | 'scanning' | 'ready';

/** Changes in the folder come in bursts (a copy writes many times): wait for quiet. */
const RESCAN_DEBOUNCE_MS = 500;
/** A folder that never stops changing (a file touched every 200 ms) still gets a rescan this often. */
export const RESCAN_MAX_WAIT_MS = 5000;
const RETRY_SCAN_MS = 5000;

/** A scan's progress is told (`idle catalog`) at most this often. */
const PROGRESS_EVERY_MS = 1000;

const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

export class Catalog {
  private currentState: CatalogState = 'loading';
  private readonly changeListeners: Array<() => void> = [];
  /** Goes up by one whenever the list of songs or any song's record changes. */
  version = 0;
  private index: SongIndex = buildIndex([]);
  private sorted: CatalogSong[] = [];
  /** The `lista` answer for each set of formats asked for (two or three sets in practice). */
  private readonly encodedLists = new Map<string, Buffer>();
  private nextId = 1;
  /** The music folders, resolved, and the names their songs' paths start with. */
  private roots: LibraryRoot[] = [];
  private scanning: Promise<void> | undefined;
  private rescanWanted = false;
  private watcher: FolderWatch | undefined;
  /** The folders of the last walk, for the watch. */
  private folders: string[] = [];
  private debounce: NodeJS.Timeout | undefined;
  /** When the first change not yet rescanned came: the debounce never waits past RESCAN_MAX_WAIT_MS of it. */
  private firstChangeAt: number | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private closed = false;
  /** Aborted by close(): a scan in progress stops between files instead of running to its end. */
  private readonly closing = new AbortController();

  /** Measures the loudness of songs without ReplayGain tags after each scan, when asked to. */
  private readonly loudness: LoudnessPass | undefined;

  constructor(
    /** One music folder, or several (their songs' paths then start with each folder's name). */
    private readonly libraryDirs: string | readonly string[],
    private readonly storeFile: string | undefined,
    private readonly log: Logger,
    options: { measureLoudness?: boolean } = {},
  ) {
    if (options.measureLoudness) this.loudness = new LoudnessPass(this, log);
  }

  /** 'loading' before the first scan has finished, 'scanning' while a rescan runs, else 'ready'. */
  get state(): CatalogState {
    return this.currentState;
  }

  /** While a scan runs: the library's files looked at so far (the unchanged ones at once), of all. */
  progress: { done: number; total: number } | undefined;

  /** While the demo library is being made, before the first scan: its songs written, of all. */
  demoProgress: { done: number; total: number } | undefined;

  /** The demo library's progress (undefined: made), told as a scan's is (`idle catalog`). */
  setDemoProgress(progress: { done: number; total: number } | undefined): void {
    this.demoProgress = progress;
    this.changed();
  }

  private setState(state: CatalogState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.changed();
  }

  /** `listener` is told when the version or the state moves (`idle catalog`), and a scan's progress (once a second at most). */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  get size(): number {
    return this.sorted.length;
  }

  /** The music folders and the names their songs' paths start with ('' for the one of a library of one). */
  musicFolders(): readonly LibraryRoot[] {
    return this.roots;
  }

  /** Songs in path order. */
  songs(): readonly CatalogSong[] {
    return this.sorted;
  }

  /** The song of exactly this path (`file:`), if the library has it. */
  songAt(file: string): CatalogSong | undefined {
    return this.index.byPath.get(file);
  }

  /** @throws ProtocolError not_found or ambiguous. */
  find(name: string): CatalogSong {
    return findSong(this.index, name);
  }

  /** The record of every song in one of `formats`, encoded once per catalog version. */
  encodedSongList(formats: ReadonlySet<SongFormat>): Buffer {
    const key = [...formats].sort().join(' ');
    let list = this.encodedLists.get(key);
    if (!list) {
      list = Buffer.from(
        this.sorted
          .filter((song) => formats.has(song.info.format))
          .map((song) => encodeFields(songFields(song.info)))
          .join(''),
      );
      this.encodedLists.set(key, list);
    }
    return list;
  }

  /** Loads the stored catalog (if any) and scans the library once. */
  async open(): Promise<void> {
    const dirs = typeof this.libraryDirs === 'string' ? [this.libraryDirs] : this.libraryDirs;
    this.roots = await Promise.all(
      libraryRoots(dirs).map(async (root) => ({ ...root, dir: await realpath(root.dir) })),
    );
    if (this.storeFile) {
      const stored = await loadStoredCatalog(this.storeFile, this.roots);
      if (stored) {
        this.nextId = stored.nextId;
        this.replace(stored.songs);
      }
    }
    await this.scan();
  }

  /**
   * Scans now; a scan asked for while one runs is run once more after it. A scan that fails (the
   * library folder went away) keeps the catalog as it was and says so in the log.
   */
  scan(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.scanning) {
      this.rescanWanted = true;
      return this.scanning;
    }
    this.scanning = this.runScan()
      .catch((error: Error) => {
        this.setState('ready');
        this.log.warn(`library: scan failed, keeping the catalog as it was: ${error.message}`);
        if (isTransient(error)) this.retryLater();
      })
      .finally(() => {
        this.scanning = undefined;
        if (this.rescanWanted) {
          this.rescanWanted = false;
          void this.scan();
        }
      });
    return this.scanning;
  }

  /** Rescans on changes in the library's folders (folder-watch.ts), debounced. */
  watch(): void {
    this.watcher = new FolderWatch(() => this.changeSeen(), this.log);
    // Whatever changed between the last scan and the watches is found by one more look.
    if (this.watcher.sync(this.folders)) this.changeSeen();
    if (this.watcher.size === 0) this.log.warn('cannot watch the library folder, changes are seen on restart');
  }

  private changeSeen(): void {
    if (this.closed) return;
    const now = Date.now();
    this.firstChangeAt ??= now;
    clearTimeout(this.debounce);
    const wait = Math.min(RESCAN_DEBOUNCE_MS, Math.max(0, this.firstChangeAt + RESCAN_MAX_WAIT_MS - now));
    this.debounce = setTimeout(() => {
      this.firstChangeAt = undefined;
      void this.scan();
    }, wait);
  }

  /** Resolves once the loudness pass has nothing left to measure. */
  loudnessSettled(): Promise<void> {
    return this.loudness?.settled() ?? Promise.resolve();
  }

  /**
   * The loudness pass's results for `songs`: each one still in the catalog as it was measured
   * gets its gains in its record (a song rescanned meanwhile is measured again).
   */
  applyLoudness(songs: readonly CatalogSong[], result: AlbumLoudness): void {
    let changed = false;
    songs.forEach((song, k) => {
      if (this.index.byPath.get(song.info.file) !== song) return;
      const track = result.tracks[k];
      if (!track || 'reason' in track) {
        // Out of descriptors: left unmeasured, for the pass after the next scan.
        if (!track?.transient) song.measured = { reason: track?.reason ?? 'not measured' };
        return;
      }
      const { albumGain: _gain, albumPeak: _peak, ...info } = song.info;
      song.info = { ...info, trackGain: track.gain, trackPeak: track.peak };
      if (result.album) song.info = { ...song.info, albumGain: result.album.gain, albumPeak: result.album.peak };
      song.measured = result.album ? { albumSongs: songs.length } : {};
      changed = true;
    });
    if (changed) {
      this.encodedLists.clear();
      this.version++;
      this.changed();
    }
    this.scheduleSave();
  }

  /** Records a block hash computed on first download; stored with the next save. */
  noteBlockHash(): void {
    this.scheduleSave();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.loudness?.close();
    clearTimeout(this.retryTimer);
    this.watcher?.close();
    clearTimeout(this.debounce);
    await this.scanning;
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.save();
    }
    await this.saving;
  }

  private async runScan(): Promise<void> {
    const started = performance.now();
    if (this.state !== 'loading') this.setState('scanning');
    const walked = await this.walk();
    for (const skip of walked.skipped) this.log.warn(`library: skipped ${skip.rel}: ${skip.reason}`);
    this.folders = walked.folders;
    // A new folder's files may have come before its watch: look once more.
    if (this.watcher?.sync(walked.folders)) this.rescanWanted = true;

    const next: CatalogSong[] = [];
    const toAnalyze: typeof walked.files = [];
    for (const file of walked.files) {
      const known = this.index.byPath.get(file.rel);
      if (known && sameStamp(known.stamp, file.stamp) && known.path === file.abs) next.push(known);
      else toAnalyze.push(file);
    }
    let analysed = 0;
    const progress = { done: next.length, total: walked.files.length };
    this.progress = progress;
    let toldAt = performance.now();
    const onDone = (): void => {
      progress.done++;
      if (performance.now() - toldAt < PROGRESS_EVERY_MS) return;
      toldAt = performance.now();
      this.changed();
    };
    const results = await analyzeFiles(toAnalyze, this.closing.signal, onDone).finally(
      () => (this.progress = undefined),
    );
    if (this.closing.signal.aborted) return; // closing: an incomplete scan changes nothing
    let transient = 0;
    results.forEach((result, k) => {
      const file = toAnalyze[k] as (typeof toAnalyze)[number];
      if (!result.ok && result.transient) {
        // Not the file's fault: what the catalog knew of it stays until a later scan can look.
        transient++;
        const known = this.index.byPath.get(file.rel);
        if (known) next.push(known);
        return;
      }
      if (!result.ok) {
        this.log.warn(`library: skipped ${file.rel}: ${result.reason}`);
        return;
      }
      if (result.warning) this.log.warn(`library: ${file.rel}: ${result.warning}`);
      const id = this.index.byPath.get(file.rel)?.info.id ?? this.nextId++;
      next.push({ ...result.song, info: { id, ...result.song.info } });
      analysed++;
    });
    const changed = analysed > 0 || next.length !== this.sorted.length;
    if (changed) {
      this.replace(next);
      this.scheduleSave(0);
    }
    this.setState('ready');
    this.loudness?.wake();
    if (transient > 0) {
      this.log.warn(
        `library: ${transient} files could not be opened (out of file descriptors); they are kept as they were`,
      );
      this.retryLater();
    }
    const ms = (performance.now() - started).toFixed(0);
    this.log.info(
      `library: ${this.sorted.length} songs (${analysed} analysed, ${walked.skipped.length} skipped) in ${ms} ms`,
    );
  }

  /** Every music folder walked, as one library. */
  private async walk(): Promise<WalkResult> {
    const walks = [];
    for (const root of this.roots) walks.push(await walkLibrary(root.dir, root.name));
    if (walks.length === 1) return walks[0] as WalkResult;
    return {
      files: walks.flatMap((walk) => walk.files).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)),
      skipped: walks.flatMap((walk) => walk.skipped),
      folders: walks.flatMap((walk) => walk.folders),
    };
  }

  /** A scan cut short by a lack of descriptors is tried again a little later (not at once: they may still be short). */
  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.scan();
    }, RETRY_SCAN_MS);
    this.retryTimer.unref();
  }

  private replace(songs: CatalogSong[]): void {
    this.sorted = [...songs].sort((a, b) => (a.info.file < b.info.file ? -1 : a.info.file > b.info.file ? 1 : 0));
    this.index = buildIndex(this.sorted);
    this.encodedLists.clear();
    this.version++;
    this.changed();
  }

  private scheduleSave(delayMs = 2000): void {
    if (!this.storeFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, delayMs);
    this.saveTimer.unref();
  }

  /** One save at a time; `close()` waits for the one in flight. */
  private save(): void {
    const file = this.storeFile;
    if (!file) return;
    const previous = this.saving ?? Promise.resolve();
    const current = previous
      .then(() => saveStoredCatalog(file, { roots: this.roots, nextId: this.nextId, songs: this.sorted }))
      .catch((error: Error) => this.log.warn(`cannot store the catalog: ${error.message}`))
      .finally(() => {
        if (this.saving === current) this.saving = undefined;
      });
    this.saving = current;
  }
}
