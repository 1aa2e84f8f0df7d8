/**
 * One connection to a PulseAudio server (or PipeWire's pulse server) over its native protocol:
 * found and authenticated as libpulse does it (PULSE_SERVER, else the runtime dir's socket; the
 * cookie from PULSE_COOKIE or the user's pulse config), then commands answered by tag and what the
 * server says of a stream handed to that stream. In the player's own process: a stream opens in a
 * round trip, with no process to start and none awake while nothing plays.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  authPacket,
  errorText,
  PacketReader,
  readAuthReply,
  readMessage,
  setClientNamePacket,
  type ServerMessage,
} from './protocol.js';
import type { TagReader } from './tagstruct.js';

const COOKIE_BYTES = 256;
const DEFAULT_TCP_PORT = 4713;
/** A server that has not answered a command in this long is taken to be gone. */
const REPLY_TIMEOUT_MS = 5000;

export type StreamMessage = Extract<ServerMessage, { channel: number }>;

/** Where the server listens: PULSE_SERVER's first address this client can use, else the user's socket. */
export function serverAddress(env: NodeJS.ProcessEnv): net.NetConnectOpts | undefined {
  const named = env['PULSE_SERVER'];
  if (named) {
    for (const word of named.split(/\s+/)) {
      const address = word.replace(/^\{[^}]*\}/, '');
      if (address.startsWith('unix:')) return { path: address.slice(5) };
      if (address.startsWith('/')) return { path: address };
      const tcp = /^(?:tcp[46]?:)?(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(address);
      if (tcp) return { host: (tcp[1] as string).replace(/^\[|\]$/g, ''), port: Number(tcp[2] ?? DEFAULT_TCP_PORT) };
    }
    return undefined;
  }
  const runtime = env['XDG_RUNTIME_DIR'];
  return runtime ? { path: path.join(runtime, 'pulse', 'native') } : undefined;
}

/** The auth cookie, where libpulse looks for it; a server that takes anyone (auth-anonymous) takes zeros. */
function cookie(env: NodeJS.ProcessEnv): Buffer {
  const home = env['HOME'] ?? os.homedir();
  const config = env['XDG_CONFIG_HOME'] ?? path.join(home, '.config');
  const places = [env['PULSE_COOKIE'], path.join(config, 'pulse', 'cookie'), path.join(home, '.pulse-cookie')];
  for (const place of places) {
    if (!place) continue;
    try {
      const data = readFileSync(place);
      if (data.length >= COOKIE_BYTES) return data.subarray(0, COOKIE_BYTES);
    } catch {
      // not there: the next place
    }
  }
  return Buffer.alloc(COOKIE_BYTES);
}

interface Pending {
  resolve(body: TagReader): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class PulseClient {
  private readonly reader = new PacketReader();
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, (message: StreamMessage) => void>();
  private nextTag = 0;
  private closedWith: Error | undefined;
  private onClose: ((error: Error) => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const body of this.reader.take(chunk)) this.dispatch(readMessage(body));
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the PulseAudio server closed the connection')));
  }

  /** Connected, authenticated and named; rejects with why not (no server, refused, too old). */
  static async connect(env: NodeJS.ProcessEnv, name: string): Promise<PulseClient> {
    const address = serverAddress(env);
    if (!address) throw new Error('no PulseAudio server (neither PULSE_SERVER nor XDG_RUNTIME_DIR is set)');
    const socket = net.createConnection(address);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new PulseClient(socket);
    try {
      const version = readAuthReply(await client.request((tag) => authPacket(tag, cookie(env))));
      if (version < 32)
        throw new Error(`the PulseAudio server speaks protocol ${version}; 32 (PulseAudio 10) is needed`);
      await client.request((tag) =>
        setClientNamePacket(tag, {
          'application.name': name,
          'application.process.id': String(process.pid),
          'application.process.binary': 'node',
        }),
      );
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  /** Told once when the connection ends other than by `close()`. */
  whenClosed(listener: (error: Error) => void): void {
    this.onClose = listener;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends a command built for its tag; resolves with the reply's body, rejects with the server's error. */
  request(build: (tag: number) => Buffer): Promise<TagReader> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const tag = this.nextTag;
    this.nextTag = (this.nextTag + 1) % 0xfffffff0;
    return new Promise<TagReader>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('the PulseAudio server stopped answering')), REPLY_TIMEOUT_MS);
      this.pending.set(tag, { resolve, reject, timer });
      this.socket.write(build(tag));
    });
  }

  /** Sends what needs no reply (audio). */
  send(packet: Buffer): void {
    if (!this.closedWith) this.socket.write(packet);
  }

  /** What the server says of the stream on `channel` goes to `listener` (undefined: no longer). */
  listen(channel: number, listener: ((message: StreamMessage) => void) | undefined): void {
    if (listener) this.streams.set(channel, listener);
    else this.streams.delete(channel);
  }

  close(): void {
    this.end(new Error('closed'));
    this.socket.destroy();
  }

  private dispatch(message: ServerMessage): void {
    if (message.kind === 'reply' || message.kind === 'error') {
      const pending = this.pending.get(message.tag);
      if (!pending) return;
      this.pending.delete(message.tag);
      clearTimeout(pending.timer);
      if (message.kind === 'reply') pending.resolve(message.body);
      else pending.reject(new Error(`PulseAudio: ${errorText(message.code)}`));
    } else if (message.kind !== 'other') {
      this.streams.get(message.channel)?.(message);
    }
  }

  private fail(error: Error): void {
    if (this.closedWith) return;
    this.end(error);
    this.socket.destroy();
    this.onClose?.(error);
  }

  private end(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
