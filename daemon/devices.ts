/**
 * The device registry (docs/protocol.md, Commands): a device is listed while any of its connections is
 * open, and its status is what it last set. A connection that has not said `hello` is a device of
 * its own, called by its address. Pure bookkeeping: no sockets, time passed in.
 */
import type { PlaybackRecord } from '../common/protocol/playback.js';
import type { DeviceInfo } from '../common/protocol/records.js';
import type { PlayerReport } from '../common/protocol/remote.js';

interface ConnectionEntry {
  address: string;
  name: string | undefined;
  connected: Date;
}

interface DeviceStatus {
  status: string;
  updated: Date;
}

/** What a device says of its playback (`att playback`, `att follow`) and of itself (`att player`, `att queue`). */
interface DeviceSync {
  playback?: PlaybackRecord | undefined;
  follows?: string | undefined;
  player?: PlayerReport | undefined;
  /** Its queue's songs (the catalog's paths), and a number that moves each time they change. */
  queue?: { files: readonly string[]; version: number } | undefined;
}

/** Entries of a device's queue the daemon keeps at most: the rest is the device's own. */
export const MAX_PUBLISHED_QUEUE = 10_000;

export class DeviceRegistry {
  private readonly connections = new Map<number, ConnectionEntry>();
  private readonly statuses = new Map<string, DeviceStatus>();
  private readonly syncs = new Map<string, DeviceSync>();
  /** Counts every queue change, so that a device gone and back never shows an old version again. */
  private queueVersions = 0;

  /**
   * `onChange` is told whenever `list()` may answer differently (`idle devices`); `onGone` when a
   * device's last connection closed or was renamed away (its calls end).
   */
  constructor(
    private readonly onChange: () => void = () => {},
    private readonly onGone: (name: string) => void = () => {},
    /** A connection set its device's status or playback (the daemon coalesces these per connection); default: onChange. */
    private readonly onStatusChange: (connectionId: number) => void = () => onChange(),
  ) {}

  connect(connectionId: number, address: string, now: Date): void {
    this.connections.set(connectionId, { address, name: undefined, connected: now });
    this.onChange();
  }

  /**
   * Whether the connection may speak for the device called `name`: a name held by open connections
   * belongs to their host, and a connection from another may not take it (nor, with it, the
   * device's calls and voice address). Undefined when it may; else why not.
   */
  refusal(connectionId: number, name: string): string | undefined {
    const entry = this.connections.get(connectionId);
    if (!entry) return undefined;
    const host = hostOf(entry.address);
    const wanted = name.toLowerCase();
    for (const [id, other] of this.connections) {
      if (id === connectionId || other.name?.toLowerCase() !== wanted) continue;
      if (hostOf(other.address) !== host) return `the name '${other.name}' is in use by a device on another host`;
    }
    return undefined;
  }

  /** `hello <name>`: the connection now speaks for that device (shared with its other connections). */
  rename(connectionId: number, name: string): void {
    const entry = this.connections.get(connectionId);
    if (!entry) return;
    const before = this.deviceName(entry);
    entry.name = name;
    const carried = this.statuses.get(before);
    if (carried && !this.statuses.has(name)) this.statuses.set(name, carried);
    const carriedSync = this.syncs.get(before);
    if (carriedSync && !this.syncs.has(name)) this.syncs.set(name, carriedSync);
    this.forgetIfUnused(before);
    this.onChange();
  }

  setStatus(connectionId: number, status: string, now: Date): void {
    const entry = this.connections.get(connectionId);
    if (!entry) return;
    this.statuses.set(this.deviceName(entry), { status, updated: now });
    this.onStatusChange(connectionId);
  }

  /** `att playback`: where the device is in its song (undefined: stopped). */
  setPlayback(connectionId: number, playback: PlaybackRecord | undefined): void {
    this.setSync(connectionId, { playback });
  }

  /** `att follow`: the device it follows (undefined: none). */
  setFollows(connectionId: number, follows: string | undefined): void {
    this.setSync(connectionId, { follows });
  }

  /** `att player`: its volume, queue length, whether it takes remote control, the entry playing (parts left out stay as they were). */
  setPlayer(connectionId: number, report: PlayerReport): void {
    const entry = this.connections.get(connectionId);
    if (!entry) return;
    const before = this.syncs.get(this.deviceName(entry))?.player;
    const defined = Object.entries(report).filter(([, value]) => value !== undefined);
    this.setSync(connectionId, { player: { ...before, ...Object.fromEntries(defined) } });
  }

  /**
   * `att queue`: the device's queue from entry `offset` on is `files` (it ends after them). Why
   * not, or undefined: `offset` past the queue's end, or a queue longer than MAX_PUBLISHED_QUEUE.
   */
  setQueue(connectionId: number, offset: number, files: readonly string[]): string | undefined {
    const entry = this.connections.get(connectionId);
    if (!entry) return undefined;
    const kept = this.syncs.get(this.deviceName(entry))?.queue?.files ?? [];
    if (offset > kept.length) return `the queue has ${kept.length} entries: the offset is at most that`;
    if (offset + files.length > MAX_PUBLISHED_QUEUE) return `a queue of at most ${MAX_PUBLISHED_QUEUE} entries is kept`;
    this.setSync(connectionId, {
      queue: { files: [...kept.slice(0, offset), ...files], version: ++this.queueVersions },
    });
    return undefined;
  }

  /** The queue the device called `name` said (`att queue`), or undefined: it never did. */
  queueOf(name: string): { files: readonly string[]; version: number } | undefined {
    const wanted = name.toLowerCase();
    for (const [device, sync] of this.syncs) if (device.toLowerCase() === wanted) return sync.queue;
    return undefined;
  }

  private setSync(connectionId: number, change: DeviceSync): void {
    const entry = this.connections.get(connectionId);
    if (!entry) return;
    const name = this.deviceName(entry);
    this.syncs.set(name, { ...this.syncs.get(name), ...change });
    this.onStatusChange(connectionId);
  }

  disconnect(connectionId: number): void {
    const entry = this.connections.get(connectionId);
    if (!entry) return;
    this.connections.delete(connectionId);
    this.forgetIfUnused(this.deviceName(entry));
    this.onChange();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** One record per device, in order of connection. */
  list(): DeviceInfo[] {
    const byName = new Map<string, ConnectionEntry>();
    for (const entry of this.connections.values()) {
      const name = this.deviceName(entry);
      if (!byName.has(name)) byName.set(name, entry); // the first is the earliest connected
    }
    return [...byName].map(([name, entry]) => {
      const status = this.statuses.get(name);
      const sync = this.syncs.get(name);
      // `pos none` (nothing of its queue plays) is said by leaving the field out.
      const { queuePos, ...player } = sync?.player ?? {};
      return {
        name,
        address: entry.address,
        status: status?.status ?? 'idle',
        connected: entry.connected.toISOString(),
        updated: (status?.updated ?? entry.connected).toISOString(),
        ...(sync?.playback ? { playback: sync.playback } : {}),
        ...(sync?.follows ? { follows: sync.follows } : {}),
        ...player,
        ...(sync?.queue ? { queueVersion: sync.queue.version } : {}),
        ...(typeof queuePos === 'number' ? { queuePos } : {}),
      };
    });
  }

  private deviceName(entry: ConnectionEntry): string {
    return entry.name ?? entry.address;
  }

  /** The device name a connection speaks for (its address until `hello`). */
  nameOf(connectionId: number): string | undefined {
    const entry = this.connections.get(connectionId);
    return entry && this.deviceName(entry);
  }

  /** The connections of the device called `name` (compared case-insensitively). */
  connectionsOf(name: string): number[] {
    const wanted = name.toLowerCase();
    return [...this.connections]
      .filter(([, entry]) => this.deviceName(entry).toLowerCase() === wanted)
      .map(([id]) => id);
  }

  /** The device's record, its name compared case-insensitively. */
  find(name: string): DeviceInfo | undefined {
    const wanted = name.toLowerCase();
    return this.list().find((device) => device.name.toLowerCase() === wanted);
  }

  private forgetIfUnused(name: string): void {
    for (const entry of this.connections.values()) if (this.deviceName(entry) === name) return;
    this.statuses.delete(name);
    this.syncs.delete(name);
    this.onGone(name);
  }
}

/** The host of an `ip:port` address (IPv6 addresses hold colons of their own). */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}
