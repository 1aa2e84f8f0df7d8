/**
 * Wiring: what the three daemon connections tell the player (online, offline, refusals, broken
 * sockets), said on the status line once per outage, not at every reconnect attempt.
 */
import type { DaemonClient } from '../daemon-link/daemon-client.js';
import type { PlayerEvent } from '../state/actions.js';

export interface ConnectionListeners {
  tell(event: PlayerEvent): void;
  warn(text: string): void;
  log(text: string): void;
  /** The daemon went away: what the cache holds is the library meanwhile. */
  offlineLibrary(): void;
}

export function watchConnections(
  control: DaemonClient,
  others: readonly DaemonClient[],
  out: ConnectionListeners,
): void {
  let socketErrorShown = false;
  control.on('online', () => {
    socketErrorShown = false;
    out.tell({ type: 'connection', state: 'online' });
  });
  control.on('offline', () => {
    out.tell({ type: 'connection', state: control.refusedPassword ? 'refused' : 'offline' });
    out.tell({ type: 'devices', devices: [] });
    out.offlineLibrary();
  });
  control.on('refused', out.warn);
  for (const client of [control, ...others]) {
    client.on('warning', out.warn);
    client.on('debug', out.log);
    client.on('socket-error', (text: string) => {
      out.log(`socket: ${text}`);
      if (client === control && !socketErrorShown) {
        socketErrorShown = true;
        out.warn(`streamd: ${text}; playing from the cache until it is back`);
      }
    });
  }
}
