/**
 * Whether a client is reading what it is sent: `write_stall_timeout` cuts a
 * client that makes no progress, not one that is merely slow. Node sees the kernel take bytes only
 * when a third of the socket's send buffer has drained (several MB on loopback), so a client
 * reading 1 KB/s looks stalled to it for minutes. The kernel knows better: the bytes it holds
 * unacknowledged (tx_queue in /proc/net/tcp) change with every window the client opens.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';

/** The socket's inode, through its descriptor (Linux), to find its line in /proc/net/tcp. */
function socketInode(socket: Socket): string | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/** tx_queue of the socket with `inode`: bytes sent and not yet acknowledged, or not yet sent. */
function kernelQueue(inode: string): number | undefined {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const columns = line.trim().split(/\s+/);
      if (columns[9] !== inode) continue;
      return parseInt((columns[4] ?? '').split(':')[0] ?? '', 16);
    }
  }
  return undefined;
}

/**
 * A reading of how far the socket's output has got; two readings that differ mean the client
 * made progress between them. Where /proc cannot say, it is the bytes the kernel has taken.
 */
export function transmitProgress(socket: Socket): string {
  const taken = socket.bytesWritten - socket.writableLength;
  const inode = socketInode(socket);
  const queued = inode === undefined ? undefined : kernelQueue(inode);
  return `${taken}:${queued ?? '?'}`;
}
