/**
 * The cover of the song playing, for the now-playing area: its picture from the disk cache
 * (`covers/` beside the blocks), else from the daemon (`readpicture`, then `albumart`, read in
 * pieces), drawn to the size the screen gives it (half blocks, or the terminal's own picture:
 * kitty's protocol, sixels), and told to the state machine; a new song's once its sound is out.
 * A song with no picture is remembered as such (an empty file), so it is not asked for again.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SongInfo } from '../../common/protocol/records.js';
import { OfflineError, type DaemonClient } from '../daemon-link/daemon-client.js';
import type { PlayerEvent } from '../state/actions.js';
import type { CoverGraphics } from '../views/terminal-graphics.js';
import { renderCover } from './cover-render.js';

/** A blank cell (a space on black): where the terminal draws the picture itself. */
const BLANK: readonly [number, number, number] = [0x20, 0, 0];

/** The most of a picture taken from the daemon (it serves at most 16 MiB). */
const MAX_PICTURE_BYTES = 16 * 1024 * 1024;
/** Pictures kept on disk; past this, the ones used least lately go. */
const MAX_KEPT = 256;
/**
 * A new song's cover waits for its first sound (`soundOut`), this long at most: asked for and
 * drawn at once, it took the daemon and the cores from that sound (an uncached M4A's decoder
 * header waited 15-20 ms behind the `readpicture`, traced).
 */
const SOUND_WAIT_MS = 500;

export interface CoverSize {
  cols: number;
  rows: number;
}

export class CoverArt {
  private readonly dir: string;
  /** The song whose cover is wanted now, and the size; a later call wins over one still running. */
  private wanted: { song: SongInfo; size: CoverSize } | undefined;
  /** The drawing in progress: one at a time, so a run of `n` keys starts no pile of workers. */
  private drawing: Promise<unknown> = Promise.resolve();
  /** A new song's cover, drawn once its sound is out or SOUND_WAIT_MS have passed. */
  private afterSound: { draw(): void; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly control: DaemonClient,
    cacheDir: string,
    private readonly tell: (event: PlayerEvent) => void,
    private readonly log: (text: string) => void,
    /** What the terminal draws a cover as (app/terminal-probe.ts). */
    private readonly graphics: CoverGraphics,
    /** The longest a new song's cover waits for its sound. */
    private readonly soundWaitMs = SOUND_WAIT_MS,
  ) {
    this.dir = path.join(cacheDir, 'covers');
  }

  /** Shows `song`'s cover at `size` (none: nothing playing, no cover). */
  show(song: SongInfo | undefined, size: CoverSize): void {
    const sameSong = song !== undefined && this.wanted?.song.etag === song.etag;
    if (!song || !sameSong) {
      clearTimeout(this.afterSound?.timer);
      this.afterSound = undefined;
    }
    if (!song) {
      this.wanted = undefined;
      return;
    }
    const sameSize = this.wanted?.size.cols === size.cols && this.wanted.size.rows === size.rows;
    if (sameSong && sameSize) return;
    const wanted = { song, size };
    this.wanted = wanted;
    if (sameSong && !this.afterSound) {
      void this.draw(wanted); // drawn again to the room the screen gives it now
      return;
    }
    clearTimeout(this.afterSound?.timer);
    const draw = (): void => {
      clearTimeout(this.afterSound?.timer);
      this.afterSound = undefined;
      if (this.wanted === wanted) void this.draw(wanted);
    };
    this.afterSound = { draw, timer: setTimeout(draw, this.soundWaitMs).unref() };
  }

  /** The song's first sound is out: its cover is fetched and drawn now. */
  soundOut(): void {
    this.afterSound?.draw();
  }

  private async draw(wanted: { song: SongInfo; size: CoverSize }): Promise<void> {
    const { song, size } = wanted;
    try {
      const picture = await this.picture(song);
      if (this.wanted !== wanted) return;
      if (!picture) {
        this.tell({ type: 'cover', cover: { etag: song.etag, cells: [] } });
        return;
      }
      await this.drawing.catch(() => undefined);
      if (this.wanted !== wanted) return; // a later song's cover is wanted by now
      const drawn = renderCover(picture, size.cols, size.rows, this.graphics);
      this.drawing = drawn;
      const drawing = await drawn;
      if (this.wanted !== wanted) return;
      if ('matrix' in drawing) this.tell({ type: 'cover', cover: { etag: song.etag, cells: drawing.matrix } });
      else {
        const { image } = drawing;
        const cells = Array.from({ length: image.rows }, () => Array.from({ length: image.cols }, () => BLANK));
        this.tell({ type: 'cover', cover: { etag: song.etag, cells, image } });
      }
    } catch (error) {
      // No cover is shown: the player plays on; the log says why.
      this.log(
        `cover of ${song.file}: ${error instanceof OfflineError ? 'streamd is away' : (error as Error).message}`,
      );
      if (this.wanted === wanted) this.tell({ type: 'cover', cover: { etag: song.etag, cells: [] } });
    }
  }

  /** The picture's bytes (empty: the song has none), from the disk or the daemon. */
  private async picture(song: SongInfo): Promise<Uint8Array | undefined> {
    const file = path.join(this.dir, song.etag);
    try {
      const kept = readFileSync(file);
      return kept.length > 0 ? kept : undefined;
    } catch {
      // not on disk yet
    }
    const picture = (await this.fetch('readpicture', song)) ?? (await this.fetch('albumart', song));
    this.keep(file, picture ?? Buffer.alloc(0));
    return picture;
  }

  /** A picture read in pieces from the daemon, or undefined when the song has none of that kind. */
  private async fetch(command: 'readpicture' | 'albumart', song: SongInfo): Promise<Buffer | undefined> {
    const pieces: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const reply = await this.control.request(command, song.id, offset);
      if (!reply.ok) throw new Error(`streamd: ${reply.text}`);
      const size = Number(reply.fields.find(([key]) => key === 'size')?.[1]);
      if (!reply.binary || !Number.isSafeInteger(size)) return undefined; // a bare OK: none
      if (size > MAX_PICTURE_BYTES) throw new Error(`a picture of ${size} bytes`);
      if (reply.binary.length === 0 && offset < size) throw new Error('the picture stopped short');
      pieces.push(reply.binary);
      offset += reply.binary.length;
      if (offset >= size) return Buffer.concat(pieces);
    }
  }

  /** Written whole and renamed; the oldest go past MAX_KEPT. A disk that refuses only costs the cache. */
  private keep(file: string, bytes: Uint8Array): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(`${file}.tmp`, bytes);
      renameSync(`${file}.tmp`, file);
      const names = readdirSync(this.dir).filter((name) => !name.endsWith('.tmp'));
      if (names.length <= MAX_KEPT) return;
      const byAge = names
        .map((name) => ({ name, at: statSync(path.join(this.dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
        .sort((a, b) => a.at - b.at);
      for (const { name } of byAge.slice(0, names.length - MAX_KEPT))
        rmSync(path.join(this.dir, name), { force: true });
    } catch (error) {
      this.log(`cover cache: ${(error as Error).message}`);
    }
  }
}
