/**
 * Lists the audio files of the library (docs/protocol.md, Downloads: regular files inside the root
 * only; symlinks leading out, devices, FIFOs and names with control characters or invalid UTF-8
 * are left out).
 */
import { isUtf8 } from 'node:buffer';
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { SongFormat } from '../../common/protocol/records.js';
import type { FileStamp } from './song.js';

export interface FoundFile {
  /** Path relative to the root, with `/` separators: the song's `file:` value. */
  rel: string;
  abs: string;
  stamp: FileStamp;
  format: SongFormat;
}

export interface WalkResult {
  files: FoundFile[];
  /** Names passed over, with why, for the log. */
  skipped: Array<{ rel: string; reason: string }>;
  /** Every folder walked (the root first): what the folder watch watches. */
  folders: string[];
}

/** An Ogg file is Vorbis or Opus whatever its name says: `ogg` here, the analysis reads which. */
const AUDIO_EXTENSIONS: Record<string, SongFormat> = {
  '.mp3': 'mp3',
  '.wav': 'wav',
  '.flac': 'flac',
  '.ogg': 'ogg',
  '.oga': 'ogg',
  '.opus': 'ogg',
  '.m4a': 'm4a',
  '.m4b': 'm4a',
};
/**
 * The walk uses synchronous calls: for thousands of small metadata calls they take half the time
 * of the thread-pool round trips of the async ones (a no-change restart is mostly this walk). It
 * yields to the event loop every few milliseconds so that clients are still answered meanwhile.
 */
const SLICE_MS = 4;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function decodeName(name: Buffer): string | undefined {
  if (!isUtf8(name)) return undefined;
  const text = name.toString('utf8');
  return /[\x00-\x1f\x7f]/.test(text) ? undefined : text;
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root + path.sep);
}

/** One music folder of the library, and the name its songs' paths start with (`''` when it is the only one). */
export interface LibraryRoot {
  dir: string;
  name: string;
}

/**
 * The library's folders: one is the root of every path, as ever; with several, each song's path
 * starts with its folder's name (`Jazz/Artist/x.flac`). @throws Error when two folders have one name.
 */
export function libraryRoots(dirs: readonly string[]): LibraryRoot[] {
  if (dirs.length === 1) return [{ dir: dirs[0] as string, name: '' }];
  const roots = dirs.map((dir) => ({ dir, name: path.basename(path.resolve(dir)) }));
  for (const root of roots) {
    const same = roots.filter((other) => other.name === root.name);
    if (same.length > 1)
      throw new Error(
        `music folders ${same.map((r) => r.dir).join(' and ')} have one name, '${root.name}': their songs' paths would meet; rename one or link it under another name`,
      );
    if (!decodeName(Buffer.from(root.name)) || root.name === '' || root.name === '.' || root.name === '..')
      throw new Error(`the music folder ${root.dir} has no name its songs' paths can start with`);
  }
  return roots;
}

/** The audio files under `rootDir`, their paths starting with `name/` when it is given. */
export async function walkLibrary(rootDir: string, name = ''): Promise<WalkResult> {
  const root = realpathSync(rootDir);
  const files: FoundFile[] = [];
  const skipped: WalkResult['skipped'] = [];
  const folders: string[] = [];
  const visitedDirs = new Set<string>([root]);
  const pending: Array<{ abs: string; rel: string }> = [{ abs: root, rel: name }];
  let sliceStart = performance.now();

  const addFile = (rel: string, abs: string): void => {
    const format = AUDIO_EXTENSIONS[path.extname(rel).toLowerCase()];
    if (!format) return;
    try {
      const info = statSync(abs);
      if (info.isFile())
        files.push({ rel, abs, format, stamp: { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino } });
    } catch {
      // vanished between readdir and stat: the next scan settles it
    }
  };

  const visitLink = (abs: string, rel: string): void => {
    let target: string;
    try {
      target = realpathSync(abs);
    } catch {
      skipped.push({ rel, reason: 'broken symlink' });
      return;
    }
    if (!isInside(root, target)) {
      skipped.push({ rel, reason: 'symlink leads outside the library' });
      return;
    }
    let info;
    try {
      info = statSync(target);
    } catch (error) {
      skipped.push({ rel, reason: `cannot read: ${(error as Error).message}` });
      return;
    }
    if (info.isDirectory()) {
      if (visitedDirs.has(target)) return; // a loop, or a folder already walked
      visitedDirs.add(target);
      pending.push({ abs, rel });
    } else if (info.isFile()) {
      addFile(rel, target);
    }
  };

  while (pending.length > 0) {
    const dir = pending.pop() as { abs: string; rel: string };
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(dir.abs, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      // Out of descriptors says nothing about the folder: the scan fails, and the catalog stays.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EMFILE' || code === 'ENFILE') throw error;
      skipped.push({ rel: dir.rel || '.', reason: `cannot read folder: ${(error as Error).message}` });
      continue;
    }
    folders.push(dir.abs);
    for (const entry of entries) {
      const name = decodeName(entry.name);
      if (name === undefined) {
        skipped.push({
          rel: path.posix.join(dir.rel, '?'),
          reason: 'name is not valid UTF-8 or has control characters',
        });
        continue;
      }
      const rel = dir.rel ? `${dir.rel}/${name}` : name;
      const abs = `${dir.abs}${path.sep}${name}`; // both parts are clean: no need for path.join's normalising
      if (entry.isDirectory()) pending.push({ abs, rel });
      else if (entry.isSymbolicLink()) visitLink(abs, rel);
      else if (entry.isFile()) addFile(rel, abs);
      // Checked per entry, not per folder: a folder of 3,000 files is 40 ms of stat calls.
      if (performance.now() - sliceStart > SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, skipped, folders };
}
