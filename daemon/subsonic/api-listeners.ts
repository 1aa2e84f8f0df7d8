/**
 * Subsonic clients as devices: a phone that streams a song shows in the device list (`lista
 * dispositivos`, `idle devices`) as `<client>-<user>`, with the song and where it is in it, as a
 * player on the TCP protocol says with `att status` and `att playback`. The API has no connection
 * that lasts, so the device is kept while it plays and for a while after its last request.
 */
import { formatStatus } from '../../common/protocol/device-status.js';
import type { CatalogSong } from '../catalog/song.js';
import type { DeviceRegistry } from '../devices.js';

/** A client leaves the device list this long after its last song ended. */
const FORGET_AFTER_MS = 10 * 60_000;
/** setTimeout's longest wait. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Clients kept at once; past it the one idle longest is let go. */
const MAX_LISTENERS = 1024;

interface Listener {
  connectionId: number;
  user: string;
  client: string;
  song: CatalogSong | undefined;
  /** The daemon clock when the song was at `offsetMs`. */
  startedAtMs: number;
  offsetMs: number;
  lastSeen: number;
  endTimer: NodeJS.Timeout | undefined;
  forgetTimer: NodeJS.Timeout | undefined;
}

/** A device name from a client's and a user's: the characters `hello` takes, at most 64. */
export function listenerName(client: string, user: string): string {
  return `${client}-${user}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'subsonic';
}

export class ApiListeners {
  private readonly listeners = new Map<string, Listener>();
  /** TCP connections count up from 1; these count down from -1, so neither meets the other. */
  private nextConnectionId = -1;

  constructor(
    private readonly devices: DeviceRegistry,
    private readonly clockMs: () => number,
    /** A client's device left the list: what was kept for its connection id may go. */
    private readonly gone: (connectionId: number) => void = () => {},
  ) {}

  /** The client streams `song` from `offsetSeconds`: it plays it now. */
  playing(user: string, client: string, address: string, song: CatalogSong, offsetSeconds = 0): void {
    const listener = this.listener(user, client, address);
    listener.song = song;
    listener.offsetMs = offsetSeconds * 1000;
    listener.startedAtMs = this.clockMs();
    this.publish(listener, true);
    clearTimeout(listener.endTimer);
    const leftMs = Math.max(0, song.info.duration * 1000 - listener.offsetMs);
    listener.endTimer = setTimeout(
      () => {
        listener.song = undefined;
        this.publish(listener, false);
      },
      Math.min(leftMs + 1000, MAX_TIMER_MS),
    );
    listener.endTimer.unref();
    this.forgetLater(listener, leftMs + FORGET_AFTER_MS);
  }

  /** What each client plays now, for `getNowPlaying`. */
  nowPlaying(): Array<{ device: string; user: string; client: string; song: CatalogSong }> {
    return [...this.listeners.values()].flatMap((listener) =>
      listener.song
        ? [
            {
              device: listenerName(listener.client, listener.user),
              user: listener.user,
              client: listener.client,
              song: listener.song,
            },
          ]
        : [],
    );
  }

  close(): void {
    for (const listener of this.listeners.values()) {
      clearTimeout(listener.endTimer);
      clearTimeout(listener.forgetTimer);
      this.devices.disconnect(listener.connectionId);
      this.gone(listener.connectionId);
    }
    this.listeners.clear();
  }

  private listener(user: string, client: string, address: string): Listener {
    const key = `${user}\u0000${client}`;
    let listener = this.listeners.get(key);
    if (!listener) {
      if (this.listeners.size >= MAX_LISTENERS) {
        const oldest = [...this.listeners.entries()].sort(([, a], [, b]) => a.lastSeen - b.lastSeen)[0];
        if (oldest) this.forget(oldest[0]);
      }
      listener = {
        connectionId: this.nextConnectionId--,
        user,
        client,
        song: undefined,
        startedAtMs: 0,
        offsetMs: 0,
        lastSeen: Date.now(),
        endTimer: undefined,
        forgetTimer: undefined,
      };
      this.listeners.set(key, listener);
      this.devices.connect(listener.connectionId, address, new Date());
      this.devices.rename(listener.connectionId, listenerName(client, user));
    }
    listener.lastSeen = Date.now();
    return listener;
  }

  private forgetLater(listener: Listener, ms: number): void {
    clearTimeout(listener.forgetTimer);
    listener.forgetTimer = setTimeout(
      () => this.forget(`${listener.user}\u0000${listener.client}`),
      Math.min(ms, MAX_TIMER_MS),
    );
    listener.forgetTimer.unref();
  }

  private publish(listener: Listener, playing: boolean): void {
    const song = listener.song;
    if (!song || !playing) {
      this.devices.setStatus(listener.connectionId, 'idle', new Date());
      this.devices.setPlayback(listener.connectionId, undefined);
      return;
    }
    const status = formatStatus({
      kind: 'song',
      playing: true,
      file: song.info.file,
      position: listener.offsetMs / 1000,
      duration: song.info.duration,
    });
    this.devices.setStatus(listener.connectionId, status, new Date());
    this.devices.setPlayback(listener.connectionId, {
      song: song.info.id,
      positionMs: listener.offsetMs,
      playing: true,
      atMs: listener.startedAtMs,
    });
  }

  private forget(key: string): void {
    const listener = this.listeners.get(key);
    if (!listener) return;
    clearTimeout(listener.endTimer);
    clearTimeout(listener.forgetTimer);
    this.listeners.delete(key);
    this.devices.disconnect(listener.connectionId);
    this.gone(listener.connectionId);
  }
}
