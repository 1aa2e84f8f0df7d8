/**
 * After a scan, the songs that carry no ReplayGain tags have their loudness measured (loudness.ts)
 * in one worker thread at the lowest priority, an album at a time (an album's gain comes from its
 * songs' blocks together), and their gains are served as tags' are. The worker lives only while
 * there is something to measure: an idle daemon keeps no decoder.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { ANALYSIS_MAX_MS } from './analyze.js';
import type { AlbumLoudness, CatalogSong } from './song.js';

/** What the worker is sent (loudness-worker.ts). */
export interface LoudnessRequest {
  id: number;
  songs: CatalogSong[];
  asAlbum: boolean;
  budgetMs: number;
}

export interface LoudnessGroup {
  songs: CatalogSong[];
  /** An album's songs, all without tags: measured together for the album gain too. */
  asAlbum: boolean;
}

/** Where the pass's results go: the catalog. */
export interface LoudnessTarget {
  songs(): readonly CatalogSong[];
  applyLoudness(songs: readonly CatalogSong[], result: AlbumLoudness): void;
}

const hasTags = (song: CatalogSong): boolean => song.measured === undefined && song.info.trackGain !== undefined;
const notMeasured = (song: CatalogSong): boolean => song.measured === undefined && song.info.trackGain === undefined;

/**
 * What is left to measure. An album (its tag, in one folder, as loudgain is run on a folder) is
 * measured whole when none of its songs has tags and one of them is new or its songs are not the
 * ones measured together; an album where some songs are tagged has its others measured alone, for
 * their track gain. Songs without an album tag are measured alone.
 */
export function groupsToMeasure(songs: readonly CatalogSong[]): LoudnessGroup[] {
  const groups: LoudnessGroup[] = [];
  const albums = new Map<string, CatalogSong[]>();
  for (const song of songs) {
    if (song.info.album === undefined) {
      if (notMeasured(song)) groups.push({ songs: [song], asAlbum: false });
      continue;
    }
    const key = `${path.dirname(song.info.file)}\0${song.info.album}`;
    const album = albums.get(key);
    if (album) album.push(song);
    else albums.set(key, [song]);
  }
  for (const album of albums.values()) {
    if (album.some(hasTags)) {
      for (const song of album.filter(notMeasured)) groups.push({ songs: [song], asAlbum: false });
      continue;
    }
    const changed = album.some(
      (song) => song.measured?.albumSongs !== undefined && song.measured.albumSongs !== album.length,
    );
    if (changed || album.some(notMeasured)) groups.push({ songs: album, asAlbum: true });
  }
  return groups;
}

export class LoudnessPass {
  private running: Promise<void> | undefined;
  private again = false;
  private worker: Worker | undefined;
  private waiting: ((result: AlbumLoudness | undefined) => void) | undefined;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly target: LoudnessTarget,
    private readonly log: Logger,
  ) {}

  /** Measures what the catalog holds that needs it; called after every scan. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      void this.stopWorker();
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves once nothing is left to measure (tests, the benchmark). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting?.(undefined);
    await this.stopWorker();
    await this.running;
  }

  private async run(): Promise<void> {
    const groups = groupsToMeasure(this.target.songs());
    if (groups.length === 0) return;
    const started = performance.now();
    let measured = 0;
    for (const group of groups) {
      const result = await this.measure(group);
      if (!result) return; // closing
      group.songs.forEach((song, k) => {
        const track = result.tracks[k];
        if (track && 'reason' in track)
          this.log.warn(`library: ${song.info.file}: loudness not measured: ${track.reason}`);
        else measured++;
      });
      this.target.applyLoudness(group.songs, result);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    this.log.info(`library: loudness of ${measured} songs without ReplayGain tags measured in ${seconds} s`);
  }

  private measure(group: LoudnessGroup): Promise<AlbumLoudness | undefined> {
    const worker = (this.worker ??= this.startWorker());
    return new Promise((resolve) => {
      this.waiting = resolve;
      const request: LoudnessRequest = {
        id: ++this.nextId,
        songs: group.songs,
        asAlbum: group.asAlbum,
        budgetMs: ANALYSIS_MAX_MS,
      };
      worker.postMessage(request);
    });
  }

  private startWorker(): Worker {
    const worker = new Worker(new URL('./loudness-worker.js', import.meta.url));
    worker.on('message', (message: { id: number; result: AlbumLoudness }) => {
      if (message.id !== this.nextId) return;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(message.result);
    });
    // A worker gone without an error (ended from inside) must not leave the pass waiting forever.
    worker.on('exit', () => {
      if (this.worker !== worker) return; // let go by stopWorker: the next one's request is not its
      this.worker = undefined;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(undefined);
    });
    worker.on('error', (error) => {
      this.log.warn(`library: loudness measuring stopped: ${error.message}`);
      this.closed = true; // a worker that fails once would fail again on the same songs
      this.waiting?.(undefined);
    });
    return worker;
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
