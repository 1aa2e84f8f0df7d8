/**
 * Lists the audio files of the library (PROTOCOL.md section 2: regular files inside the root
 * only; symlinks leading out, devices, FIFOs and names with control characters or invalid UTF-8
 * are left out).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileStamp } from './song.js';

export interface FoundFile {
  /** Path relative to the root, with `/` separators: the song's `file:` value. */
  rel: string;
  abs: string;
  stamp: FileStamp;
  format: 'mp3' | 'wav';
}

export interface WalkResult {
  files: FoundFile[];
  /** Names passed over, with why, for the log. */
  skipped: Array<{ rel: string; reason: string }>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const AUDIO_EXTENSIONS: Record<string, 'mp3' | 'wav'> = { '.mp3': 'mp3', '.wav': 'wav' };
/** Walking and stat-ing many files at once is what makes a no-change rescan fast. */
const STAT_CONCURRENCY = 64;

function decodeName(name: Buffer): string | undefined {
  try {
    const text = utf8.decode(name);
    return /[\x00-\x1f\x7f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root + path.sep);
}

export async function walkLibrary(rootDir: string): Promise<WalkResult> {
  const root = await realpath(rootDir);
  const files: FoundFile[] = [];
  const skipped: WalkResult['skipped'] = [];
  const visitedDirs = new Set<string>([root]);
  const candidates: Array<{ rel: string; abs: string; format: 'mp3' | 'wav'; link: boolean }> = [];

  async function visit(dirAbs: string, dirRel: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dirAbs, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      skipped.push({ rel: dirRel || '.', reason: `cannot read folder: ${(error as Error).message}` });
      return;
    }
    const subdirs: Promise<void>[] = [];
    for (const entry of entries) {
      const name = decodeName(entry.name as unknown as Buffer);
      if (name === undefined) {
        skipped.push({ rel: path.posix.join(dirRel, '?'), reason: 'name is not valid UTF-8 or has control characters' });
        continue;
      }
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const abs = path.join(dirAbs, name);
      if (entry.isDirectory()) {
        subdirs.push(visit(abs, rel));
      } else if (entry.isSymbolicLink()) {
        subdirs.push(visitLink(abs, rel));
      } else if (entry.isFile()) {
        const format = AUDIO_EXTENSIONS[path.extname(name).toLowerCase()];
        if (format) candidates.push({ rel, abs, format, link: false });
      }
    }
    await Promise.all(subdirs);
  }

  async function visitLink(abs: string, rel: string): Promise<void> {
    let target: string;
    try {
      target = await realpath(abs);
    } catch {
      skipped.push({ rel, reason: 'broken symlink' });
      return;
    }
    if (!isInside(root, target)) {
      skipped.push({ rel, reason: 'symlink leads outside the library' });
      return;
    }
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) {
      if (visitedDirs.has(target)) return; // a loop, or a folder already walked
      visitedDirs.add(target);
      await visit(abs, rel);
    } else if (info?.isFile()) {
      const format = AUDIO_EXTENSIONS[path.extname(rel).toLowerCase()];
      if (format) candidates.push({ rel, abs: target, format, link: true });
    }
  }

  await visit(root, '');
  for (let i = 0; i < candidates.length; i += STAT_CONCURRENCY) {
    const batch = candidates.slice(i, i + STAT_CONCURRENCY);
    const stats = await Promise.all(batch.map((c) => stat(c.abs).catch(() => undefined)));
    batch.forEach((candidate, k) => {
      const info = stats[k];
      if (!info?.isFile()) return;
      files.push({
        rel: candidate.rel,
        abs: candidate.abs,
        format: candidate.format,
        stamp: { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino },
      });
    });
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, skipped };
}
