/**
 * Radio listeners, and the tokens that prove an address is really where a SUBSCRIBE came from.
 * A token is stateless (like a SYN cookie): 4 bytes of issue time and 4 of an HMAC over the
 * address and that time. A SUBSCRIBE therefore leaves nothing behind; only an address that echoes
 * its token in a KEEPALIVE becomes a listener (docs/protocol.md, UDP: no spoofed listeners).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TOKEN_BYTES } from '../../common/datagram/codec.js';

export interface Listener {
  /** `ip:port`. */
  key: string;
  address: string;
  port: number;
  token: Buffer;
  since: number;
  lastHeard: number;
}

/** How long after a SUBSCRIBE its token may still be echoed for the first time. */
const TOKEN_TTL_SECONDS = 60;

export class ListenerRegistry {
  private readonly listeners = new Map<string, Listener>();
  private readonly secret = randomBytes(32);

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.listeners.size;
  }

  all(): IterableIterator<Listener> {
    return this.listeners.values();
  }

  get(key: string): Listener | undefined {
    return this.listeners.get(key);
  }

  /** The token an address gets in its ACCEPT. */
  tokenFor(key: string, nowMs: number): Buffer {
    const issued = Math.floor(nowMs / 1000) >>> 0;
    const token = Buffer.alloc(TOKEN_BYTES);
    token.writeUInt32BE(issued, 0);
    this.mac(key, issued).copy(token, 4);
    return token;
  }

  /** Is `token` one this daemon gave `key` within the last minute? */
  tokenValid(key: string, token: Buffer, nowMs: number): boolean {
    if (token.length !== TOKEN_BYTES) return false;
    const issued = token.readUInt32BE(0);
    const age = Math.floor(nowMs / 1000) - issued;
    if (age < 0 || age > TOKEN_TTL_SECONDS) return false;
    return timingSafeEqual(this.mac(key, issued), token.subarray(4));
  }

  add(address: string, port: number, token: Buffer, nowMs: number): Listener {
    const key = `${address}:${port}`;
    const listener: Listener = { key, address, port, token: Buffer.from(token), since: nowMs, lastHeard: nowMs };
    this.listeners.set(key, listener);
    return listener;
  }

  remove(key: string): Listener | undefined {
    const listener = this.listeners.get(key);
    this.listeners.delete(key);
    return listener;
  }

  /** Drops the listeners not heard from for the timeout; returns them. */
  expire(nowMs: number): Listener[] {
    const gone: Listener[] = [];
    for (const listener of this.listeners.values()) {
      if (nowMs - listener.lastHeard >= this.timeoutMs) {
        this.listeners.delete(listener.key);
        gone.push(listener);
      }
    }
    return gone;
  }

  clear(): Listener[] {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    return all;
  }

  private mac(key: string, issued: number): Buffer {
    return createHmac('sha256', this.secret)
      .update(`${key}|${issued}`)
      .digest()
      .subarray(0, TOKEN_BYTES - 4);
  }
}
