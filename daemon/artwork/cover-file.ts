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

/** SOFn markers (0xC0-0xCF but DHT, JPG and DAC): the frame header, which holds the picture's size. */
const FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** A JPEG's width and height from its frame header; undefined when there is none before the scan starts. */
export function jpegSize(data: Uint8Array): { width: number; height: number } | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff) return undefined;
    const marker = data[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // no length follows
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // the scan or the end, and no frame header
    const length = ((data[at + 2] as number) << 8) | (data[at + 3] as number);
    if (FRAME_MARKERS.has(marker)) {
      if (length < 7 || at + 9 > data.length) return undefined;
      const height = ((data[at + 5] as number) << 8) | (data[at + 6] as number);
      const width = ((data[at + 7] as number) << 8) | (data[at + 8] as number);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}

/**
 * The largest factor (8, 4 or 2) by which libjpeg can decode a JPEG of `width` x `height` smaller
 * in its DCT (the way PIL's draft and vipsthumbnail make thumbnails) and keep at least the pixels of
 * its fit within `size` a side, never enlarged: 1 when none can. Rounded down both ways, so that
 * the picture scaled from it is never smaller than the one scaled from the whole.
 */
export function jpegShrink(width: number, height: number, size: number): 1 | 2 | 4 | 8 {
  const fit = Math.min(1, size / width, size / height);
  const fitWidth = Math.max(1, Math.round(width * fit));
  const fitHeight = Math.max(1, Math.round(height * fit));
  for (const shrink of [8, 4, 2] as const)
    if (Math.floor(width / shrink) >= fitWidth && Math.floor(height / shrink) >= fitHeight) return shrink;
  return 1;
}
