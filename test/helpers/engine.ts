/**
 * The player's playback engine with its real parts (client, fetcher, disk cache, decoders) and a
 * sink that keeps what it was given, against a test daemon: for tests that compare what playback
 * wrote with what a reference decoder makes of the file.
 */
import path from 'node:path';
import { parseSongFields, splitRecords, type SongFormat, type SongInfo } from '../../common/protocol/records.js';
import { BlockCache } from '../../tui/cache/block-cache.js';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { BlockFetcher } from '../../tui/playback/block-fetcher.js';
import { Playback, UNHEARD } from '../../tui/playback/playback.js';
import { KeepingSink } from './keeping-sink.js';
import { until } from './log-capture.js';

export interface TestEngine {
  client: DaemonClient;
  cache: BlockCache;
  fetcher: BlockFetcher;
  sink: KeepingSink;
  engine: Playback;
  /** The songs listed to a player of `formats`. */
  songs: SongInfo[];
  /** Songs played to their end so far. */
  ended(): number;
  close(): void;
}

export async function startTestEngine(
  port: number,
  options: {
    name: string;
    formats: SongFormat[];
    /** The cache's folder. */
    cacheDir: string;
    /** Where blocks come from, when not the client's TCP downloads (a UDP downloader). */
    source?: (client: DaemonClient) => Pick<DaemonClient, 'download'>;
  },
): Promise<TestEngine> {
  const client = new DaemonClient({ host: '127.0.0.1', port, name: options.name, formats: options.formats });
  client.start();
  await until('the client online', () => client.online || undefined);
  const cache = new BlockCache(path.join(options.cacheDir), 2 ** 30);
  cache.init();
  const sink = new KeepingSink();
  const fetcher = new BlockFetcher(cache, client, options.source?.(client) ?? client);
  const engine = new Playback(fetcher, sink);
  let ended = 0;
  engine.listen({ ...UNHEARD, songEnded: () => ended++ });
  await until('the formats said', async () => ((await client.request('lista')).fields.length > 0 ? true : undefined));
  const songs = splitRecords((await client.request('lista')).fields, 'song').map(parseSongFields);
  return {
    client,
    cache,
    fetcher,
    sink,
    engine,
    songs,
    ended: () => ended,
    close() {
      engine.close();
      fetcher.close();
      client.close();
    },
  };
}
