/** A protocol client for tests: real TCP, the common response reader, whole responses out. */
import net from 'node:net';
import { formatCommand } from '../../common/protocol/args.js';
import type { BlockHeader } from '../../common/protocol/response.js';
import { ResponseReader } from '../../common/protocol/response-reader.js';
import { splitRecords } from '../../common/protocol/records.js';

export interface Response {
  ok: boolean;
  /** After `OK `, or the ERR message. */
  text: string;
  code?: string;
  fields: Array<[string, string]>;
  blocks: Array<{ header: BlockHeader; data: Buffer }>;
  /** The bytes of a `binary:` piece (a picture's), when the answer had one. */
  binary?: Buffer;
  trackStart: boolean;
  trackEnd: boolean;
}

const emptyResponse = (): Response => ({
  ok: false,
  text: '',
  fields: [],
  blocks: [],
  trackStart: false,
  trackEnd: false,
});

export class TestClient {
  readonly socket: net.Socket;
  private readonly reader = new ResponseReader();
  private current = emptyResponse();
  private readonly done: Response[] = [];
  private readonly waiters: Array<{ resolve(r: Response): void; reject(e: Error): void }> = [];
  private blockParts: Buffer[] = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('connection closed'));
    });
    socket.on('error', () => {});
  }

  /** Connects and reads the greeting. */
  /** `localAddress` (another of 127/8, say) makes the connection come from another client address. */
  static async connect(
    port: number,
    host = '127.0.0.1',
    localAddress?: string,
  ): Promise<{ client: TestClient; greeting: Response }> {
    const socket = net.connect({ port, host, ...(localAddress ? { localAddress } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new TestClient(socket);
    return { client, greeting: await client.next() };
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends one command with its arguments quoted by the common codec and reads its response. */
  command(name: string, ...args: Array<string | number>): Promise<Response> {
    this.send(formatCommand(name, ...args));
    return this.next();
  }

  /** Sends a raw line (LF added) and reads its response. */
  line(text: string): Promise<Response> {
    this.send(`${text}\n`);
    return this.next();
  }

  next(): Promise<Response> {
    const ready = this.done.shift();
    if (ready) return Promise.resolve(ready);
    if (this.ended) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The next response if one comes within `ms`, else undefined (a later one stays for `next`). */
  nextWithin(ms: number): Promise<Response | undefined> {
    const ready = this.done.shift();
    if (ready) return Promise.resolve(ready);
    if (this.ended) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve(response: Response) {
          clearTimeout(timer);
          resolve(response);
        },
        reject(error: Error) {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, ms);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const event of this.reader.push(chunk).events) {
      const r = this.current;
      switch (event.type) {
        case 'field':
          r.fields.push([event.key, event.value]);
          break;
        case 'track-start':
          r.trackStart = true;
          break;
        case 'track-end':
          r.trackEnd = true;
          break;
        case 'block':
          r.blocks.push({ header: event.block, data: Buffer.alloc(0) });
          this.blockParts = [];
          break;
        case 'block-data':
          this.blockParts.push(Buffer.from(event.bytes));
          break;
        case 'binary-data':
          r.binary = Buffer.concat([r.binary ?? Buffer.alloc(0), event.bytes]);
          break;
        case 'block-end':
          (r.blocks[r.blocks.length - 1] as { data: Buffer }).data = Buffer.concat(this.blockParts);
          break;
        case 'ok':
        case 'err':
          r.ok = event.type === 'ok';
          r.text = event.type === 'ok' ? event.text : event.message;
          if (event.type === 'err') r.code = event.code;
          this.finish(r);
          break;
      }
    }
  }

  private finish(response: Response): void {
    this.current = emptyResponse();
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(response);
    else this.done.push(response);
  }
}

/** `key: value` fields of a response as records starting at `firstKey`. */
export function records(response: Response, firstKey: string): Array<Map<string, string>> {
  return splitRecords(response.fields, firstKey);
}
