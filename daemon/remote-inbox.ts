/**
 * Remote commands waiting for the device they are for (docs/protocol.md, Remote control): kept in
 * the order they came, a bounded number per device, taken by the device (`remotes`) and forgotten
 * with it. Pure bookkeeping.
 */
import type { RemoteCommand, RemoteDelivery } from '../common/protocol/remote.js';

/** Commands a device has not taken yet, at most (a player takes them within a round trip). */
export const MAX_WAITING_REMOTES = 64;

export class RemoteInbox {
  private nextId = 1;
  /** By device name, lower case (names are compared so). */
  private readonly waiting = new Map<string, RemoteDelivery[]>();

  /** The command's id, or undefined when the device has MAX_WAITING_REMOTES waiting already. */
  post(device: string, from: string, command: RemoteCommand): number | undefined {
    const key = device.toLowerCase();
    const queue = this.waiting.get(key) ?? [];
    if (queue.length >= MAX_WAITING_REMOTES) return undefined;
    const id = this.nextId++;
    queue.push({ id, from, command });
    this.waiting.set(key, queue);
    return id;
  }

  /** What waits for the device, in order; it waits no more. */
  take(device: string): RemoteDelivery[] {
    const key = device.toLowerCase();
    const queue = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    return queue;
  }

  /** The device is gone: what waited for it is dropped (a device of that name later is another). */
  forget(device: string): void {
    this.waiting.delete(device.toLowerCase());
  }
}
