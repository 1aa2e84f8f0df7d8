/** What the daemon and its picture process (picture-worker.ts) say to each other. */

/** A picture given whole, to fit within `size`. */
export interface ScaleRequest {
  id: number;
  data: Uint8Array;
  /** Fit within this many pixels a side, never enlarged. */
  size: number;
  /** What to make: image/png (kept transparent) or image/jpeg. */
  mime: string;
}

/**
 * An album's cover found, read and scaled by the picture process: its folder looked in, the file
 * read with the care of readBesideFile (catalog/open-song.ts), all in one message, so that the
 * daemon waits on no file system call of it.
 */
export interface FolderCoverRequest {
  id: number;
  folder: string;
  /** The folder as the library shows it, for messages. */
  shownFolder: string;
  coverNames: readonly string[];
  size: number;
  /** Made ahead of being asked (picture-scaler.ts's makeAhead): kept in the store, not sent back. */
  ahead?: boolean;
}

/** Where a folder's cover came from, for the daemon to tell it unchanged (cover-file.ts's stamps). */
export interface CoverOrigin {
  folderStamp: string;
  /** The cover's file name and stamp; none when the folder has no cover file. */
  file?: { name: string; stamp: string };
}

export type ScaleReply =
  | { id: number; data: Uint8Array; mime: string; origin?: CoverOrigin }
  /** The folder has no cover file. */
  | { id: number; none: CoverOrigin }
  /** The cover file is there but may not be served (a symlink, too large, not a picture). */
  | { id: number; refused: string }
  /** The cover file read, but sharp could not scale it (too many pixels, broken): sent as it is. */
  | { id: number; unscaled: Uint8Array; mime: string; error: string }
  /** The picture could not be scaled (a bad or too large picture). */
  | { id: number; error: string }
  /** sharp did not load on this machine. */
  | { id: number; unavailable: string }
  /** Made ahead: the picture is in the store (scaled-store.ts). */
  | { id: number; kept: true }
  /** Made ahead, but the store takes no more (full, or it cannot be written): the pass ends. */
  | { id: number; full: true };
