/**
 * Push events (docs/protocol.md, Push events): which topics changed since each connection last heard of
 * them. Every connection has a set of pending topics, filled by `notify` whether or not it is
 * idling, so nothing is missed between two `idle`s; `wait` resolves as soon as one of the topics it
 * asks for is pending. Pure bookkeeping: no sockets, no timers.
 */
import type { IdleTopic } from '../../common/protocol/topics.js';

interface Waiter {
  topics: ReadonlySet<IdleTopic>;
  wake(): void;
}

interface Subscriber {
  pending: Set<IdleTopic>;
  waiter: Waiter | undefined;
}

export class ChangeBus {
  private readonly subscribers = new Map<number, Subscriber>();

  /** A connection opened: from now on, changes are kept for it. */
  subscribe(id: number): void {
    this.subscribers.set(id, { pending: new Set(), waiter: undefined });
  }

  unsubscribe(id: number): void {
    const subscriber = this.subscribers.get(id);
    subscriber?.waiter?.wake();
    this.subscribers.delete(id);
  }

  /** `topic` changed: for every connection, or only for those in `only` (a call's parties). */
  notify(topic: IdleTopic, only?: Iterable<number>): void {
    const targets = only ? [...only].map((id) => this.subscribers.get(id)) : this.subscribers.values();
    for (const subscriber of targets) {
      if (!subscriber) continue;
      subscriber.pending.add(topic);
      if (subscriber.waiter?.topics.has(topic)) subscriber.waiter.wake();
    }
  }

  /** Whether one of `topics` changed for this connection since it last took them. */
  hasPending(id: number, topics: ReadonlySet<IdleTopic>): boolean {
    const pending = this.subscribers.get(id)?.pending;
    return pending !== undefined && [...topics].some((topic) => pending.has(topic));
  }

  /**
   * Resolves when one of `topics` is pending for this connection (at once if one is already), or
   * when `signal` aborts. It takes nothing: `take` does, once the answer is written.
   */
  wait(id: number, topics: ReadonlySet<IdleTopic>, signal: AbortSignal): Promise<void> {
    const subscriber = this.subscribers.get(id);
    if (!subscriber || signal.aborted || this.hasPending(id, topics)) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', wake);
        if (subscriber.waiter === waiter) subscriber.waiter = undefined;
        resolve();
      };
      const waiter: Waiter = { topics, wake };
      subscriber.waiter = waiter;
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /** The pending topics among `topics`, in the protocol's order, now no longer pending. */
  take(id: number, topics: readonly IdleTopic[]): IdleTopic[] {
    const pending = this.subscribers.get(id)?.pending;
    if (!pending) return [];
    const taken = topics.filter((topic) => pending.has(topic));
    for (const topic of taken) pending.delete(topic);
    return taken;
  }
}
