/**
 * Where the player's block bytes come from: the disk cache when the block is there (hash checked),
 * otherwise the daemon, streamed as they arrive so that playback can start on the first bytes.
 * One download at a time runs on its own connection; asking for a block it will not reach soon
 * (a seek) drops it and starts another. Blocks that arrive whole and match their hash go to the
 * cache; a full disk only means playing uncached (said once). With nothing else to fetch, the
 * first block of the song that follows (gapless) and of the song the cursor rests on are fetched
 * ahead, so that either starts from the disk.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hasDecoderHeader, type SongInfo } from '../../common/protocol/records.js';
import { parseDecoderHeader } from '../../common/protocol/replies.js';
import { CacheFullError, type BlockCache } from '../cache/block-cache.js';
import { OfflineError as ClientOfflineError, type DaemonClient } from '../daemon-link/daemon-client.js';
import { BlockBuffer, maxBlockBytes, remove } from './block-buffer.js';
import { OfflineError, waitOrAbort, type BlockSource } from './block-source.js';

/**
 * The cursor rests on a song this long before its first block is fetched: Enter comes later than
 * that after a person reads the title, and a cursor run through the list fetches nothing.
 */
export const BROWSE_REST_MS = 250;

/**
 * A block that is not on disk waits this long for a daemon that is away (a restart takes about a
 * second) before playback is told it cannot have it, and goes on with what is on disk.
 */
export const OFFLINE_WAIT_MS = 3000;

interface ActiveDownload {
  etag: string;
  first: number;
  /** The block the download is at (or will be at next). */
  at: number;
  buffers: Map<number, BlockBuffer>;
  announced: Array<() => void>;
  finished: boolean;
}

/** Emits 'cached' (etag) when a block was stored, 'warning' (text) once when the cache is full. */
export class BlockFetcher extends EventEmitter implements BlockSource {
  private active: ActiveDownload | undefined;
  /** Blocks the daemon announced larger than their song can hold, by `etag index`: not asked for again. */
  private readonly refusals = new Map<string, Error>();
  private cacheFullSaid = false;
  /** The song being played: when the connection comes back, its missing blocks are fetched. */
  private current: SongInfo | undefined;
  /** The song that follows it (gapless): its first block is fetched once the current one is all here. */
  private upcoming: SongInfo | undefined;
  /** The song the cursor rested on (what Enter would play). */
  private browsed: SongInfo | undefined;
  private browseTimer: NodeJS.Timeout | undefined;
  /** Blocks downloaded and being written to the cache. */
  private storing = 0;
  /**
   * Songs whose first block, fetched ahead, the daemon refused, failed its hash or found no room
   * on disk: not asked for ahead again and again (it is when it plays). A download that broke
   * off is tried again when the daemon is back.
   */
  private readonly failedAhead = new Set<string>();
  /** Decoder headers being asked for, by etag. */
  private readonly headers = new Map<string, Promise<Buffer>>();

  /**
   * @param source where block bytes come from: the client's `download` (TCP), or a UDP
   *   downloader that offers the same call (`--transport udp`).
   */
  constructor(
    private readonly cache: BlockCache,
    private readonly client: DaemonClient,
    private readonly source: Pick<DaemonClient, 'download'> = client,
  ) {
    super();
    client.on('online', this.resume);
  }

  /** Lets go of the client (which may outlive this fetcher). */
  close(): void {
    // A catch-up or a fetch ahead already deferred (a block still being stored) finds nothing to fetch.
    this.current = this.upcoming = undefined;
    this.browse(undefined);
    this.cancel();
    this.client.off('online', this.resume);
  }

  /** The song being played (undefined: none): what to fetch ahead, and after a reconnect. */
  setCurrent(song: SongInfo | undefined): void {
    const before = this.current;
    this.current = song;
    // A song that starts playing (not the same one again: a seek, a resume) is played now, the
    // last the cache evicts: one write of its record a song, not one a key press.
    if (!song || song.etag === before?.etag) return;
    this.failedAhead.delete(song.etag);
    // Played anew: what the daemon refused of it is asked once more (it may have the song again).
    for (const key of this.refusals.keys()) if (key.startsWith(`${song.etag} `)) this.refusals.delete(key);
    void this.cache.touch(song.etag);
  }

  /** The song to have the first block of on disk before the current one ends (undefined: none). */
  prefetch(song: SongInfo | undefined): void {
    this.upcoming = song;
    if (song && !this.active) setImmediate(() => this.fetchAhead());
  }

  /** The song under the cursor (undefined: none): its first block is fetched once the cursor rests there. */
  browse(song: SongInfo | undefined): void {
    clearTimeout(this.browseTimer);
    this.browseTimer = undefined;
    this.browsed = undefined;
    if (!song) return;
    this.browseTimer = setTimeout(() => {
      this.browseTimer = undefined;
      this.browsed = song;
      this.fetchAhead();
    }, BROWSE_REST_MS);
  }

  /**
   * Once nothing else is being fetched and the current song's blocks are all on disk, the first
   * block of the song that follows it, then of the song the cursor rests on, is fetched too.
   */
  private fetchAhead(): void {
    if (this.active || this.storing > 0 || !this.client.online) return;
    const current = this.current;
    if (current && this.cache.blocksOf(current.etag).size < current.blocks) return;
    for (const song of [this.upcoming, this.browsed]) {
      if (
        !song ||
        song.etag === current?.etag ||
        this.failedAhead.has(song.etag) ||
        this.cache.blocksOf(song.etag).has(0)
      )
        continue;
      return this.start(song, 0, 0);
    }
  }

  /**
   * After a reconnect: fetch the current song's blocks that are not on disk yet. Deferred a turn,
   * so that a block playback is waiting for (after a seek) is asked for first.
   */
  private readonly resume = (): void => {
    setImmediate(() => this.resumeMissing());
  };

  private resumeMissing(): void {
    const song = this.current;
    if (!song) return this.fetchAhead();
    if (this.active) return;
    const have = this.cache.blocksOf(song.etag);
    for (let index = 0; index < song.blocks; index++) {
      if (!have.has(index)) {
        this.start(song, index);
        return;
      }
    }
    this.fetchAhead();
  }

  /**
   * The block's bytes in order: one chunk from the cache, or chunks as the daemon sends them.
   * @throws when the bytes fail their hash (the caller may ask again: the block is fetched anew).
   */
  async *block(song: SongInfo, index: number, signal: AbortSignal): AsyncGenerator<Buffer> {
    // Bytes already handed out: when a download breaks off (the daemon went away), the block is
    // asked for again and continues where it stopped.
    let delivered = 0;
    const rest = function* (chunk: Buffer, from: number): Generator<Buffer> {
      const skip = Math.max(0, delivered - from);
      if (skip < chunk.length) {
        delivered += chunk.length - skip;
        yield skip > 0 ? chunk.subarray(skip) : chunk;
      }
    };
    for (;;) {
      const cached = await this.cache.read(song.etag, index);
      if (cached) {
        yield* rest(cached, 0);
        return;
      }
      const buffer = await this.bufferFor(song, index, signal);
      if (!buffer || signal.aborted) return;
      let given = 0;
      let offset = 0;
      for (;;) {
        while (given < buffer.chunkCount) {
          const chunk = buffer.chunk(given++);
          yield* rest(chunk, offset);
          offset += chunk.length;
        }
        if (buffer.failed && !buffer.done) break; // broken off: ask again
        if (buffer.failed) throw buffer.failed;
        if (buffer.done || signal.aborted) return;
        await buffer.changed(signal);
      }
    }
  }

  async header(song: SongInfo, signal: AbortSignal): Promise<Buffer> {
    if (!hasDecoderHeader(song.format)) return Buffer.alloc(0);
    for (let tries = 0; ; tries++) {
      const cached = this.cache.header(song.etag);
      if (cached) return cached;
      try {
        return await (this.headers.get(song.etag) ?? this.requestHeader(song));
      } catch (error) {
        // The request went with a connection dropped for another download: asked again on the next.
        if (!(error instanceof ClientOfflineError) || signal.aborted || tries >= 3) throw error;
        if (!(await this.backOnline(signal)) && !signal.aborted) throw new OfflineError(song, 0);
      }
    }
  }

  /** Waits up to OFFLINE_WAIT_MS for the connection to come back (or `signal`); whether it is up. */
  private async backOnline(signal: AbortSignal): Promise<boolean> {
    if (this.client.online) return true;
    let timer: NodeJS.Timeout | undefined;
    let back = (): void => {};
    await waitOrAbort(signal, (wake) => {
      timer = setTimeout(wake, OFFLINE_WAIT_MS);
      back = wake;
      this.client.once('online', back);
    });
    clearTimeout(timer);
    this.client.off('online', back);
    return this.client.online;
  }

  /** Asks the daemon for the song's decoder header, checks it and keeps it on disk. */
  private requestHeader(song: SongInfo): Promise<Buffer> {
    const request = this.client.request('header', song.id).then((reply) => {
      if (!reply.ok) throw new Error(`streamd refused the header of ${song.file}: ${reply.text}`);
      const { bytes, sha256 } = parseDecoderHeader(reply.fields);
      if (createHash('sha256').update(bytes).digest('hex') !== sha256)
        throw new Error(`the header of ${song.file} failed its SHA-256`);
      // Kept on disk meanwhile: the song's first sound waits for the header, not for its write (10-30 ms, traced).
      void this.cache.setHeader(song, bytes).catch((error: Error) => this.emit('warning', `cache: ${error.message}`));
      return bytes;
    });
    this.headers.set(song.etag, request);
    void request.catch(() => {}).finally(() => this.headers.delete(song.etag));
    return request;
  }

  cached(song: SongInfo, index: number): Promise<Buffer | undefined> {
    return this.cache.read(song.etag, index);
  }

  /** Stops the download in progress (the song changed). */
  cancel(): void {
    if (!this.active || this.active.finished) return;
    this.active.finished = true;
    for (const buffer of this.active.buffers.values()) buffer.fail(new Error('download cancelled'));
    this.active = undefined;
    this.client.reconnect();
  }

  private async bufferFor(song: SongInfo, index: number, signal: AbortSignal): Promise<BlockBuffer | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      // A refused block is the reader's answer: asked again, it would be refused again.
      const refusal = this.refusals.get(`${song.etag} ${index}`);
      if (refusal) throw refusal;
      const active = this.active;
      // The download in progress serves this block if it has it, or will reach it next.
      if (active && active.etag === song.etag && !active.finished && index >= active.first && index <= active.at + 1) {
        const buffer = active.buffers.get(index);
        if (buffer && !buffer.failed) return buffer;
        if (index >= active.at) {
          await waitOrAbort(signal, (wake) => {
            active.announced.push(wake);
            return () => remove(active.announced, wake);
          });
          continue;
        }
      }
      if (active && !active.finished) {
        this.cancel(); // drops the connection: wait for it to come back
        continue;
      }
      if (!this.client.online) {
        if (!(await this.backOnline(signal)) && !signal.aborted) throw new OfflineError(song, index);
        continue;
      }
      this.start(song, index);
    }
  }

  private start(song: SongInfo, first: number, last?: number): void {
    const ahead = last !== undefined;
    const failedAhead = (): void => {
      if (ahead) this.failedAhead.add(song.etag);
    };
    this.emit(
      'debug',
      last === undefined
        ? `download of ${song.file} from block ${first}`
        : `download of ${song.file} block ${first} (ahead)`,
    );
    const download: ActiveDownload = {
      etag: song.etag,
      first,
      at: first,
      buffers: new Map(),
      announced: [],
      finished: false,
    };
    this.active = download;
    // A song whose blocks need a header: it is asked for first, on the same connection, so that
    // it is there when the first block is (and on disk for a later play from the cache).
    if (hasDecoderHeader(song.format) && !this.cache.header(song.etag) && !this.headers.has(song.etag))
      void this.requestHeader(song).catch((error: Error) => this.emit('debug', error.message));
    const announce = (): void => {
      for (const resolve of download.announced.splice(0)) resolve();
    };
    this.source
      .download(song.id, first, last, {
        onBlock: (header) => {
          download.at = header.index;
          const buffer = new BlockBuffer(header, this.cache.spillPaths(song.etag, header.index));
          download.buffers.set(header.index, buffer);
          // A block larger than the song's format can fill (a hostile or broken daemon): not fetched.
          const most = maxBlockBytes(song);
          if (header.bytes > most) {
            const text = `streamd announced block ${header.index} of ${song.file} at ${header.bytes} bytes; this song's blocks hold at most ${most}: not fetched`;
            const refusal = new Error(text);
            buffer.refuse(refusal);
            this.refusals.set(`${song.etag} ${header.index}`, refusal);
            this.emit('warning', text);
            failedAhead();
            download.finished = true;
            if (this.active === download) this.active = undefined;
            this.client.reconnect(); // the block's bytes are not read: the connection goes
          }
          announce();
        },
        onData: (index, bytes) => {
          const buffer = download.buffers.get(index);
          if (buffer && !buffer.failed) buffer.add(bytes);
        },
        onBlockEnd: (index) => {
          const buffer = download.buffers.get(index);
          download.at = index + 1;
          // Kept in memory until it is on disk, so a player behind the download can still read it.
          if (!buffer || buffer.failed || !buffer.finish()) {
            buffer?.discard();
            return failedAhead();
          }
          this.storing += 1;
          void this.store(song, buffer).then((stored) => {
            if (stored) download.buffers.delete(index);
            else failedAhead();
            this.storing -= 1;
            // What to fetch ahead is decided from the disk: once this block is there.
            if (this.storing === 0) this.fetchAhead();
          });
        },
      })
      .then(
        (reply) => {
          if (reply.ok) return;
          failedAhead();
          // Refused (no such song, unreadable, ...): the reader is told, once, and does not ask
          // again (asking again at once was a hot loop). A daemon stopping or timing out is not a refusal.
          const key = `${song.etag} ${first}`;
          // Refused already for playing it: said then (and skipped), not again over that.
          const known = this.refusals.has(key);
          if (reply.code !== 'shutting_down' && reply.code !== 'timeout')
            this.refusals.set(key, new Error(`streamd refused it: ${reply.text}`));
          // Fetched ahead, the refusal is said here; the song being played says it through playback.
          if (ahead && !known) this.emit('warning', `download of ${song.file} failed: ${reply.text}`);
          else this.emit('debug', `download of ${song.file} failed: ${reply.text}`);
        },
        (error: Error) =>
          this.emit('debug', `download of ${song.file} from block ${first} broke off: ${error.message}`),
      )
      .finally(() => {
        download.finished = true;
        for (const buffer of download.buffers.values()) {
          buffer.fail(new Error('download ended early'));
          if (!buffer.done) buffer.discard();
        }
        if (this.active === download) this.active = undefined;
        announce();
        setImmediate(() => this.fetchAhead());
      });
  }

  private async store(song: SongInfo, buffer: BlockBuffer): Promise<boolean> {
    const { index, sha256 } = buffer.header;
    const played = song.etag === this.current?.etag;
    try {
      const file = buffer.completeFile();
      if (file) await this.cache.adopt(song, index, sha256, file, buffer.received, played);
      else await this.cache.write(song, index, sha256, buffer.inMemoryChunks(), played);
      this.emit('cached', song.etag);
      return true;
    } catch (error) {
      buffer.discard();
      if (error instanceof CacheFullError && !this.cacheFullSaid) {
        this.cacheFullSaid = true;
        this.emit('warning', `${error.message}: playing without caching`);
      } else if (!(error instanceof CacheFullError)) {
        this.emit('warning', `cache: ${(error as Error).message}`);
      }
      return false;
    }
  }
}
