/** What the daemon and its picture process (picture-worker.ts) say to each other. */

export interface ScaleRequest {
  id: number;
  data: Uint8Array;
  /** Fit within this many pixels a side, never enlarged. */
  size: number;
  /** What to make: image/png (kept transparent) or image/jpeg. */
  mime: string;
}

export type ScaleReply =
  | { id: number; data: Uint8Array }
  /** The picture could not be scaled (a bad or too large picture). */
  | { id: number; error: string }
  /** sharp did not load on this machine. */
  | { id: number; unavailable: string };
