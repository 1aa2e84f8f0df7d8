/**
 * A real Icecast (Debian's icecast2) for tests and benchmarks: its own config on a free port in a
 * temporary folder, a source password, optionally a relay of another's mount. As root it drops to
 * nobody (icecast2 refuses to run as root), so its folder is open to all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './cli.js';
import { until } from './log-capture.js';

export const SOURCE_PASSWORD = 'source-secret';

export interface Icecast {
  port: number;
  pid: number;
  /** `http://127.0.0.1:<port><mount>` */
  url(mount: string): string;
  /** status-json.xsl: the sources, as Icecast tells them. */
  sources(): Promise<Array<{ listenurl: string; title?: string; server_name?: string; listeners?: number }>>;
  stop(): Promise<void>;
}

/**
 * A folder holding the config of an icecast2 on 127.0.0.1:`port` (a relay of `relay` when given),
 * and the command that runs it: put a prefix before it to run it elsewhere (`ip netns exec NS`).
 */
export function icecastSetup(port: number, relay?: { port: number; mount: string }): { dir: string; argv: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamd-icecast-'));
  chmodSync(dir, 0o777);
  const relaying = relay
    ? `<relay><server>127.0.0.1</server><port>${relay.port}</port><mount>${relay.mount}</mount><local-mount>${relay.mount}</local-mount><on-demand>0</on-demand><relay-shoutcast-metadata>1</relay-shoutcast-metadata></relay><master-update-interval>1</master-update-interval>`
    : '';
  const asRoot = process.getuid?.() === 0 ? '<changeowner><user>nobody</user><group>nogroup</group></changeowner>' : '';
  const config = path.join(dir, 'icecast.xml');
  writeFileSync(
    config,
    `<icecast><location>test</location><admin>test@localhost</admin>
<limits><clients>5000</clients><sources>8</sources><queue-size>524288</queue-size><client-timeout>30</client-timeout><header-timeout>15</header-timeout><source-timeout>5</source-timeout><burst-size>65536</burst-size></limits>
<authentication><source-password>${SOURCE_PASSWORD}</source-password><relay-password>relay-secret</relay-password><admin-user>admin</admin-user><admin-password>admin-secret</admin-password></authentication>
<hostname>127.0.0.1</hostname><listen-socket><port>${port}</port><bind-address>127.0.0.1</bind-address></listen-socket>${relaying}
<fileserve>1</fileserve>
<paths><basedir>/usr/share/icecast2</basedir><logdir>${dir}</logdir><webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
<security><chroot>0</chroot>${asRoot}</security></icecast>`,
  );
  chmodSync(config, 0o644);
  // A thousand listeners need more descriptors than the usual soft limit of 1024: raised to the hard one.
  return { dir, argv: ['sh', '-c', 'ulimit -n "$(ulimit -Hn)"; exec icecast2 -c "$0"', config] };
}

export async function startIcecast(
  options: { port?: number; relay?: { port: number; mount: string } } = {},
): Promise<Icecast> {
  const port = options.port ?? (await freePort());
  const { dir, argv } = icecastSetup(port, options.relay);
  const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const get = (pathname: string): Promise<string> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: pathname, timeout: 3000 }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  await until(
    `icecast2 on port ${port} ${stderr}`,
    () =>
      get('/status-json.xsl').then(
        () => true,
        () => undefined,
      ),
    10_000,
  );
  return {
    port,
    pid: child.pid as number,
    url: (mount) => `http://127.0.0.1:${port}${mount}`,
    async sources() {
      // With no source, Debian's Icecast 2.4.4 prints `{"icestats":"server_start":...`, without the
      // brace that opens the icestats object: put it back.
      const text = (await get('/status-json.xsl')).replace(/^\{"icestats":"/, '{"icestats":{"');
      const source = (JSON.parse(text) as { icestats: { source?: unknown } }).icestats.source;
      return (source === undefined ? [] : Array.isArray(source) ? source : [source]) as Awaited<
        ReturnType<Icecast['sources']>
      >;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
