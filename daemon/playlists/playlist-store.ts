/**
 * Stored playlists, as MPD keeps them: one M3U8 file per playlist in a folder of their own, its
 * entries the songs' names in the library (`file:`), so that MPD and other players can read them.
 * A file is written whole to a temporary name and renamed: a reader (or a daemon killed during the
 * write) sees the old list or the new one. Changes are made one at a time, so two devices adding
 * at once both get their songs in. Songs that leave the library stay in the file.
 */
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { formatM3u8, parseM3u8, type M3uEntry } from '../../common/playlist/m3u8.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { printable } from '../../common/protocol/response.js';

/** The suffixes of playlist files: M3U8's, and MPD's (which reads only `.m3u`; its files are UTF-8 too). */
export const PLAYLIST_SUFFIXES = ['.m3u8', '.m3u'] as const;
export type PlaylistSuffix = (typeof PLAYLIST_SUFFIXES)[number];
/** Bounds: a playlist file larger than this is not read; a list longer than this is not written. */
export const MAX_PLAYLIST_BYTES = 16 * 1024 * 1024;
export const MAX_PLAYLIST_ENTRIES = 100_000;
/** Playlists kept at most: no new one past this many files in the folder (`listplaylists` lists as many). */
export const MAX_PLAYLISTS = 10_000;
const MAX_NAME_BYTES = 200;

export interface PlaylistInfo {
  name: string;
  modified: Date;
}

/** Whether `name` can name a playlist file: 1 to MAX_NAME_BYTES, no separator or control character, no dot or space in front. */
function validName(name: string): boolean {
  const bad = /[/\\\u0000-\u001f\u007f]/.test(name) || name.startsWith('.') || name.trim() !== name;
  return name.length > 0 && Buffer.byteLength(name) <= MAX_NAME_BYTES && !bad;
}

/** @throws ProtocolError bad_argument when `name` cannot name a playlist file. */
export function checkPlaylistName(name: string): void {
  if (!validName(name))
    throw new ProtocolError(
      'bad_argument',
      `a playlist name is 1 to ${MAX_NAME_BYTES} bytes, without / \\ or control characters, not starting with a dot or a space: '${printable(name)}'`,
    );
}

export class PlaylistStore {
  /** Changes, one at a time in the order asked. */
  private writing: Promise<unknown> = Promise.resolve();
  private readonly listeners: Array<() => void> = [];

  private constructor(
    readonly dir: string,
    /** What a new playlist's file is named with; either is read. */
    private readonly suffix: PlaylistSuffix,
  ) {}

  static async open(dir: string, suffix: PlaylistSuffix = '.m3u8'): Promise<PlaylistStore> {
    await mkdir(dir, { recursive: true });
    return new PlaylistStore(dir, suffix);
  }

  /** `listener` is told after each change (`idle stored_playlist`). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The playlist's file: the one there is (this store's suffix first), else a new one's. */
  private async fileOf(name: string): Promise<{ file: string; exists: boolean }> {
    checkPlaylistName(name);
    const suffixes = [this.suffix, ...PLAYLIST_SUFFIXES.filter((suffix) => suffix !== this.suffix)];
    for (const suffix of suffixes) {
      const file = path.join(this.dir, name + suffix);
      if ((await stat(file).catch(() => undefined))?.isFile()) return { file, exists: true };
    }
    return { file: path.join(this.dir, name + this.suffix), exists: false };
  }

  async list(): Promise<PlaylistInfo[]> {
    // Each name's file as read (this store's suffix first when both are there), stat'ed once. A file
    // whose name no command could give (another program's) is left out, not a failure of the list.
    const files = new Map<string, string>();
    for (const file of await readdir(this.dir)) {
      const suffix = PLAYLIST_SUFFIXES.find((end) => file.endsWith(end));
      if (!suffix || !validName(file.slice(0, -suffix.length))) continue;
      const name = file.slice(0, -suffix.length);
      if (!files.has(name) || suffix === this.suffix) files.set(name, file);
    }
    const infos = await Promise.all(
      [...files]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, MAX_PLAYLISTS)
        .map(async ([name, file]) => {
          const info = await stat(path.join(this.dir, file)).catch(() => undefined);
          return info?.isFile() ? { name, modified: info.mtime } : undefined;
        }),
    );
    return infos.filter((info): info is PlaylistInfo => info !== undefined);
  }

  /** The playlist's entries, as names in the library. @throws ProtocolError not_found */
  async read(name: string): Promise<string[]> {
    const { file, exists } = await this.fileOf(name);
    if (!exists) throw new ProtocolError('not_found', `no playlist '${printable(name)}'`);
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_PLAYLIST_BYTES)
        throw new ProtocolError('io_error', `playlist '${printable(name)}' is larger than ${MAX_PLAYLIST_BYTES} bytes`);
      return parseM3u8(await handle.readFile('utf8')).slice(0, MAX_PLAYLIST_ENTRIES);
    } finally {
      await handle.close();
    }
  }

  /**
   * Makes the playlist what `change` makes of its entries (`[]` for a new one when `create`).
   * @throws ProtocolError not_found (and no `create`), bad_argument (too long), io_error
   */
  change(
    name: string,
    change: (entries: string[]) => M3uEntry[],
    options: { create?: boolean; fresh?: boolean } = {},
  ): Promise<void> {
    return this.serialized(async () => {
      const { file, exists } = await this.fileOf(name);
      // A client cannot fill the folder: past MAX_PLAYLISTS no new one is made.
      if (!exists && (await readdir(this.dir)).length >= MAX_PLAYLISTS)
        throw new ProtocolError('busy', `the daemon keeps at most ${MAX_PLAYLISTS} playlists: delete one first`);
      const entries = options.fresh
        ? []
        : await this.read(name).catch((error: unknown) => {
            if (options.create && error instanceof ProtocolError && error.code === 'not_found') return [];
            throw error;
          });
      const next = change(entries);
      if (next.length > MAX_PLAYLIST_ENTRIES)
        throw new ProtocolError('bad_argument', `a playlist holds at most ${MAX_PLAYLIST_ENTRIES} songs`);
      await writeWhole(file, formatM3u8(next));
    });
  }

  /** @throws ProtocolError not_found, or bad_argument when `to` is taken. */
  rename(from: string, to: string): Promise<void> {
    checkPlaylistName(to);
    return this.serialized(async () => {
      const source = await this.fileOf(from);
      if (!source.exists) throw new ProtocolError('not_found', `no playlist '${printable(from)}'`);
      if ((await this.fileOf(to)).exists)
        throw new ProtocolError('bad_argument', `a playlist '${printable(to)}' exists already`);
      // The file keeps its suffix: one MPD reads stays one it reads.
      await rename(source.file, path.join(this.dir, to + path.extname(source.file)));
    });
  }

  /** @throws ProtocolError not_found */
  remove(name: string): Promise<void> {
    return this.serialized(async () => {
      const { file, exists } = await this.fileOf(name);
      if (!exists) throw new ProtocolError('not_found', `no playlist '${printable(name)}'`);
      await unlink(file);
    });
  }

  private serialized(work: () => Promise<void>): Promise<void> {
    const result = this.writing.then(work).then(() => {
      for (const listener of this.listeners) listener();
    });
    this.writing = result.catch(() => undefined);
    return result.catch((error: unknown) => {
      if (error instanceof ProtocolError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new ProtocolError('io_error', `cannot write the playlist: ${code}`, false, error);
    });
  }
}

/** `text` into `file` through a temporary file renamed over it: never half a playlist. */
async function writeWhole(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}
