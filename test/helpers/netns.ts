/**
 * A network namespace the test makes for itself: a veth pair from this host into it, and a rate limit (tbf) on the host's side, so
 * that what the daemon sends towards the namespace crosses a slow path and the kernel pushes back.
 * The rate limiter's queue is larger than any socket's send buffer (net.core.wmem_max): a full
 * socket buffer, not a full queue, is what the sender meets (a full queue drops UDP silently).
 * Needs root and iproute2 (`.ci/run` installs it); the namespace and the pair go with `remove()`.
 */
import { execFileSync } from 'node:child_process';

export interface SlowPath {
  /** The host's address on the pair (the daemon listens there) and the namespace's. */
  hostAddress: string;
  peerAddress: string;
  namespace: string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
  remove(): void;
}

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export function makeSlowPath(rate: string): SlowPath {
  if (process.getuid?.() !== 0) throw new Error('this test makes a network namespace: run it as root (CI does)');
  const tag = `${process.pid % 100_000}`;
  const namespace = `sdt${tag}`;
  const hostLink = `sdth${tag}`;
  const peerLink = `sdtp${tag}`;
  const subnet = `10.${200 + (process.pid % 50)}.${Math.floor(process.pid / 50) % 250}`;
  const hostAddress = `${subnet}.1`;
  const peerAddress = `${subnet}.2`;
  const remove = (): void => {
    try {
      ip('netns', 'del', namespace); // takes the pair with it
    } catch {
      // not made (yet)
    }
  };
  remove();
  try {
    ip('netns', 'add', namespace);
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', peerLink);
    ip('link', 'set', peerLink, 'netns', namespace);
    ip('addr', 'add', `${hostAddress}/30`, 'dev', hostLink);
    ip('link', 'set', hostLink, 'up');
    ip('-n', namespace, 'addr', 'add', `${peerAddress}/30`, 'dev', peerLink);
    ip('-n', namespace, 'link', 'set', peerLink, 'up');
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
    execFileSync(
      'tc',
      ['qdisc', 'add', 'dev', hostLink, 'root', 'tbf', 'rate', rate, 'burst', '32kbit', 'limit', '64mb'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    remove();
    throw error;
  }
  return { hostAddress, peerAddress, namespace, exec: ['ip', 'netns', 'exec', namespace], remove };
}
