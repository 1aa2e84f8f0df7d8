/**
 * Which file in an album's folder is its cover, and how a file and a folder are told unchanged:
 * shared by the daemon (artwork.ts, which reads a cover for `albumart`, and picture-scaler.ts,
 * which keeps scaled covers) and the picture process (picture-worker.ts, which finds, reads and
 * scales a cover in one message).
 */
import type { Stats } from 'node:fs';
import path from 'node:path';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp'];

/**
 * The cover among a folder's `names`: a picture's extension, its name (without the extension)
 * one of `coverNames` compared case-insensitively, the earlier in `coverNames` the better; names
 * that rank alike by their bytes' order.
 */
export function pickCoverFile(names: readonly string[], coverNames: readonly string[]): string | undefined {
  const rank = (name: string): number => {
    const ext = path.extname(name).toLowerCase();
    if (!IMAGE_EXTENSIONS.includes(ext)) return -1;
    return coverNames.indexOf(name.slice(0, -ext.length).toLowerCase());
  };
  return names.filter((name) => rank(name) >= 0).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1))[0];
}

/**
 * A file or folder as it is now: the same text means the same inode, not written since (a file
 * written in place changes its mtime; a folder whose entries come, go or are renamed, its own).
 */
export const stamp = (stats: Pick<Stats, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string =>
  `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;

/** A picture's type from its first bytes (a cover file's extension may lie). */
export function imageType(data: Uint8Array): string | undefined {
  const b = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, 12));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
  if (b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (b.toString('latin1', 0, 2) === 'BM') return 'image/bmp';
  return undefined;
}

/** What a picture of type `mime` is scaled to: PNG, GIF and WebP may be transparent and become PNG; a photograph a JPEG. */
export const scaledType = (mime: string): string =>
  ['image/png', 'image/gif', 'image/webp'].includes(mime) ? 'image/png' : 'image/jpeg';
