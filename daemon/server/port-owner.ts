/**
 * Who holds a port this daemon could not bind, as `ss` tells it (iproute2): `nc (pid 4242)`, or
 * undefined when ss is not there, or will not say (another user's process, without root).
 */
import { spawnSync } from 'node:child_process';

export function portOwner(protocol: 'tcp' | 'udp', port: number): string | undefined {
  const ss = spawnSync('ss', ['-Hlnp', protocol === 'tcp' ? '-t' : '-u', 'sport', '=', `:${port}`], {
    encoding: 'utf8',
    timeout: 2000,
  });
  if (ss.status !== 0) return undefined;
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout);
  return m ? `${m[1]} (pid ${m[2]})` : undefined;
}
