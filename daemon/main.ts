/**
 * `streamd run`: the daemon in the foreground. Listens first (so `start` can return at once), then
 * loads the catalog; with no music folder configured it first makes the demo library.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { VERSION } from '../common/version.js';
import { Catalog } from './catalog/catalog.js';
import { libraryRoots } from './catalog/walk.js';
import { limitsOf, type DaemonConfig } from './config.js';
import { makeDemoLibrary } from './demo/demo-library.js';
import { createLogger, type LogOutput } from './log.js';
import { RotatingLogFile } from './log-file.js';
import { createStreamd } from './instance.js';
import { PlaylistStore } from './playlists/playlist-store.js';
import { StickerStore } from './stickers/sticker-store.js';
import { PlayQueueStore } from './playlists/play-queue-store.js';
import { portOwner } from './server/port-owner.js';
import { removePidFile, runningPid, writePidFile } from './service.js';

/** docs/protocol.md / the service contract: SIGTERM ends the process within 5 s. */
const SHUTDOWN_GRACE_MS = 3500;
const SHUTDOWN_HARD_LIMIT_MS = 4800;

export class StartupError extends Error {
  override name = 'StartupError';
}

export async function runDaemon(config: DaemonConfig): Promise<void> {
  const out: LogOutput = config.log_file
    ? new RotatingLogFile(config.log_file, config.log_max_bytes, config.log_files_kept)
    : process.stderr;
  // systemd says where stderr goes: the journal keeps the time, and reads the level from a prefix.
  const format = !config.log_file && process.env.JOURNAL_STREAM ? 'journal' : 'plain';
  const log = createLogger(out, config.log_level, format);
  for (const folder of config.music ?? []) {
    if (!(existsSync(folder) && statSync(folder).isDirectory()))
      throw new StartupError(`music folder ${folder} does not exist`);
  }
  try {
    if (config.music) libraryRoots(config.music);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  await mkdir(config.state_dir, { recursive: true });
  const other = await runningPid(config.state_dir);
  if (other !== undefined)
    throw new StartupError(`streamd is already running (pid ${other}) with state dir ${config.state_dir}`);

  const demoDir = path.join(config.state_dir, 'demo-library');
  if (config.music === null) await mkdir(demoDir, { recursive: true });
  const catalog = new Catalog(config.music ?? demoDir, path.join(config.state_dir, 'catalog.json'), log, {
    measureLoudness: config.measure_loudness,
  });
  const stickers = await StickerStore.open(config.state_dir, log);
  const playlists = await PlaylistStore.open(config.playlist_dir, config.playlist_suffix);
  const playQueues = await PlayQueueStore.open(config.state_dir);
  const server = createStreamd(
    {
      host: config.host,
      port: config.port,
      udpPort: config.udp_port,
      radio: config.radio,
      udp: config.udp,
      calls: config.calls,
      coverNames: config.cover_names.map((name) => name.toLowerCase()),
      limits: limitsOf(config),
      password: config.password ?? undefined,
      // No users: nobody could log in, and the port is left to others.
      ...(config.http_port !== 0 && config.users.length > 0
        ? {
            http: {
              port: config.http_port,
              users: config.users,
              maxStreams: config.http_max_streams,
              ...(config.cover_cache_mb > 0 && {
                coverStore: { dir: path.join(config.state_dir, 'covers'), maxBytes: config.cover_cache_mb * 2 ** 20 },
              }),
            },
          }
        : {}),
      version: VERSION,
    },
    { catalog, stickers, playlists, playQueues, log },
  );
  const address = await server.listen().catch((error: NodeJS.ErrnoException & { port?: number; address?: string }) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
    // Listen (TCP) or bind (UDP): which port, and who has it if that is known.
    const protocol = error.syscall === 'bind' ? 'udp' : 'tcp';
    const port = error.port ?? (protocol === 'tcp' ? config.port : config.udp_port);
    const isHttp = protocol === 'tcp' && port === config.http_port && port !== config.port;
    const owner = error.code === 'EADDRINUSE' ? portOwner(protocol, port) : undefined;
    const what =
      error.code === 'EADDRINUSE'
        ? `is in use${owner ? ` by ${owner}` : ' by another program'}`
        : 'may not be used by this user';
    const flag = isHttp ? '--http-port' : protocol === 'tcp' ? '--port' : '--udp-port';
    throw new StartupError(
      `the ${isHttp ? 'HTTP' : protocol.toUpperCase()} port ${port} on ${error.address ?? config.host} ${what}: stop it, or give streamd another (${flag} N, or the config file)`,
    );
  });
  const where = `${address.address}:${address.port}`;
  await writePidFile(config.state_dir, where);
  log.info(
    `streamd ${VERSION} listening on ${where}, UDP port ${server.services.udpPort}${server.services.httpPort !== undefined ? `, Subsonic API on HTTP port ${server.services.httpPort}` : ''} (pid ${process.pid})${config.configFile ? `, config ${config.configFile}` : ''}`,
  );
  process.send?.({ ready: true, address: where });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    setTimeout(() => {
      log.warn('shutdown took too long; exiting now');
      process.exit(1);
    }, SHUTDOWN_HARD_LIMIT_MS).unref();
    await server.close(SHUTDOWN_GRACE_MS);
    await catalog.close();
    await stickers.close();
    await removePidFile(config.state_dir);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  if (config.music === null) {
    const written = await makeDemoLibrary(demoDir, (progress) =>
      catalog.setDemoProgress(progress.done < progress.total ? progress : undefined),
    );
    if (written.length > 0)
      log.info(`no music folder configured: generated a demo library of ${written.length} songs in ${demoDir}`);
    else log.info(`no music folder configured: serving the demo library in ${demoDir}`);
  }
  await catalog.open();
  catalog.watch();
  server.services.radio.begin();
}
