/**
 * The radio programme as a timeline: which song plays at which moment. It keeps its place in real
 * time without doing anything: where it is is worked out from the clock when someone asks (a
 * listener arrives), so a programme nobody listens to costs nothing.
 */
import { ProtocolError } from '../../common/protocol/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogSong } from '../catalog/song.js';
import { radioCarries, radioRefusal } from './frame-source.js';
import type { Logger } from '../log.js';

export interface ProgrammeSlot {
  song: CatalogSong;
  /** Index in the playlist. */
  index: number;
  /** Programme time (ms since the programme began) at which the song starts. */
  startMs: number;
}

export interface ProgrammeOptions {
  /** Song names as `download` takes them; null: the whole catalog in its order. */
  playlist: readonly string[] | null;
  loop: boolean;
}

export class Programme {
  /** Wall-clock ms at programme time 0. */
  readonly epoch: number;
  private slot: ProgrammeSlot | undefined;
  private ended = false;
  private everStarted = false;
  private readonly missingSaid = new Set<string>();

  constructor(
    private readonly catalog: Catalog,
    private readonly options: ProgrammeOptions,
    private readonly log: Logger,
    now = Date.now(),
  ) {
    this.epoch = now;
  }

  /** Programme time now. */
  timeAt(wallMs: number): number {
    return wallMs - this.epoch;
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** The songs in the order they play; names that match nothing are left out (said once). */
  playlist(): CatalogSong[] {
    if (this.options.playlist === null) return [...this.catalog.songs()].filter(radioCarries);
    const songs: CatalogSong[] = [];
    for (const name of this.options.playlist) {
      try {
        const song = this.catalog.find(name);
        const refusal = radioRefusal(song);
        if (refusal) throw new ProtocolError('bad_argument', refusal);
        songs.push(song);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        if (!this.missingSaid.has(name)) this.log.warn(`radio: playlist entry '${name}' left out: ${error.message}`);
        this.missingSaid.add(name);
      }
    }
    return songs;
  }

  /**
   * The slot playing at programme time `ms`, moving along the timeline as far as needed; undefined
   * when there is nothing to play (empty library, or the programme is over).
   */
  at(ms: number): ProgrammeSlot | undefined {
    if (this.ended) return undefined;
    if (!this.slot) {
      // The programme begins when it first has songs: at time 0 if the library was there at
      // start (Radio.begin, right after the catalog opens), otherwise when asked.
      const first = this.playlist()[0];
      if (!first) return undefined;
      this.slot = { song: first, index: 0, startMs: this.everStarted ? ms : 0 };
      this.everStarted = true;
    }
    const endMs = this.slot.startMs + this.slot.song.info.duration * 1000;
    if (ms < endMs) return this.slot; // the common case (every SUBSCRIBE asks): no playlist built
    // A long time unheard: whole rounds of a looping playlist are skipped at once.
    const round = this.playlist().reduce((total, song) => total + song.info.duration * 1000, 0);
    if (this.options.loop && round > 0 && ms - this.slot.startMs > 2 * round) {
      this.slot = {
        ...this.slot,
        startMs: this.slot.startMs + Math.floor((ms - this.slot.startMs) / round - 1) * round,
      };
    }
    while (this.slot && ms >= this.slot.startMs + this.slot.song.info.duration * 1000)
      this.next(this.slot.startMs + this.slot.song.info.duration * 1000);
    return this.slot;
  }

  /**
   * The song after the current one, starting at `startMs` (when the current one's frames ran
   * out). Follows the song by its file in a playlist that may have changed since.
   */
  next(startMs: number): ProgrammeSlot | undefined {
    const current = this.slot;
    const list = this.playlist();
    if (!current || list.length === 0) {
      this.slot = undefined;
      return this.options.loop ? undefined : this.finish();
    }
    const found = list.findIndex((song) => song.info.file === current.song.info.file);
    let index = (found >= 0 ? found : Math.min(current.index, list.length - 1) - 1) + 1;
    if (index >= list.length) {
      if (!this.options.loop) return this.finish();
      index = 0;
    }
    this.slot = { song: list[index] as CatalogSong, index, startMs };
    return this.slot;
  }

  private finish(): undefined {
    this.slot = undefined;
    this.ended = true;
    return undefined;
  }
}
