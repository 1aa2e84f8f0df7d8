/**
 * Where a song's block bytes come from, as playback sees it: one interface whether the block is on
 * disk, downloaded over TCP or streamed over UDP (BlockFetcher implements it over all three).
 */
import type { SongInfo } from '../../common/protocol/records.js';

export interface BlockSource {
  /**
   * The block's bytes in order, as they arrive (one chunk when it is on disk). Ends early, or
   * throws an AbortError, when `signal` aborts; throws when the bytes fail their SHA-256, and an
   * OfflineError when the block is not on disk and the daemon stays away.
   */
  block(song: SongInfo, index: number, signal: AbortSignal): AsyncIterable<Buffer>;
  /**
   * What the song's decoder needs before any block (docs/protocol.md, `header`; empty for MP3 and
   * WAV): from disk, else from the daemon. Throws as `block` does.
   */
  header(song: SongInfo, signal: AbortSignal): Promise<Buffer>;
  /** The block if it is on disk already (priming a decoder), without going to the network. */
  cached(song: SongInfo, index: number): Promise<Buffer | undefined>;
  /** The song being played (undefined: none): what to fetch ahead, and after a reconnect. */
  setCurrent(song: SongInfo | undefined): void;
  /** The song that follows the one played (gapless): its start is fetched ahead. */
  prefetch(song: SongInfo | undefined): void;
  /** The song under the cursor (what Enter would play): its start is fetched ahead once the cursor rests on it. */
  browse(song: SongInfo | undefined): void;
  /** Stops fetching (the song changed). */
  cancel(): void;
}

/** The block is not on disk and the daemon is away: the song cannot go on until it is back. */
export class OfflineError extends Error {
  constructor(
    readonly song: SongInfo,
    readonly index: number,
  ) {
    super('not on disk, and streamd is offline');
    this.name = 'OfflineError';
  }
}

/**
 * Resolves when `register`'s wake-up is called or `signal` aborts, whichever comes first; a wait
 * that ignores its signal would park its caller (and what it holds) until the event comes.
 * `register` may return how to take its wake-up back, which is done on abort.
 */
export function waitOrAbort(signal: AbortSignal, register: (wake: () => void) => (() => void) | void): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let unregister: (() => void) | void = undefined;
    const woken = (): void => {
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = (): void => {
      unregister?.();
      resolve();
    };
    signal.addEventListener('abort', aborted, { once: true });
    unregister = register(woken);
  });
}
