/**
 * One connection to streamd, kept up: it reconnects with backoff when the daemon goes away, says
 * `password` (if it has one) and `hello <name>` on every connect, and answers requests in order
 * (pipelining). Downloads hand their block bytes to the caller as they arrive.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { formatCommand } from '../../common/protocol/args.js';
import { sanitizeValue, type BlockHeader } from '../../common/protocol/response.js';
import { FramingError, ResponseReader, type ResponseEvent } from '../../common/protocol/response-reader.js';

export interface Reply {
  ok: boolean;
  text: string;
  code?: string;
  fields: Array<[string, string]>;
  /** The bytes of a `binary:` piece (a picture's, `readpicture`), when the answer had one. */
  binary?: Buffer;
}

export interface DownloadHandlers {
  onBlock(block: BlockHeader): void;
  onData(index: number, bytes: Buffer): void;
  onBlockEnd(index: number): void;
}

/**
 * The most of an answer's fields the player holds (keys and values, as characters): a library of
 * about 100,000 songs. A daemon that sends more is broken or hostile: the connection is dropped and
 * made again, rather than the player's memory growing with it (docs/protocol.md, Limits).
 */
export const MAX_REPLY_CHARS = 64 * 1024 * 1024;

interface Pending {
  reply: Reply;
  /** Characters of fields held so far. */
  chars: number;
  download?: DownloadHandlers;
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

export class OfflineError extends Error {
  override name = 'OfflineError';
}

export interface ClientOptions {
  host: string;
  port: number;
  name: string;
  password?: string | undefined;
  /** Register the device for calls (`register <name> - <port>`) instead of a plain `hello`. */
  register?: { voicePort: number } | undefined;
  /**
   * A connection quiet this long says `ping`: the daemon closes one that sends no command for
   * `connection_timeout` (60 s by default), and a reconnect is a `devices` change that every idle
   * client fetches. Not for a connection that waits in `idle` (which the timeout spares).
   */
  keepAliveMs?: number | undefined;
  /** Formats beyond the contract's that this player decodes: said with `formats` on every connect. */
  formats?: readonly string[] | undefined;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 5000];
/** However short the daemon's connection_timeout, no keep-alive pings more often than this. */
const MIN_KEEPALIVE_MS = 100;

/**
 * Emits 'online', 'offline', 'bytes' (block bytes received, for the speed meter), 'refused'
 * (text: the daemon refused the password or the name), 'warning' (text: the daemon broke the
 * protocol; the connection starts over) and 'socket-error' (text: connecting failed, or the
 * connection broke).
 */
export class DaemonClient extends EventEmitter {
  private socket: net.Socket | undefined;
  private reader = new ResponseReader();
  private readonly pending: Pending[] = [];
  private greeted = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private keepAlive: NodeJS.Timeout | undefined;
  /** The keep-alive's wait: `keepAliveMs`, shortened when the daemon's connection_timeout proves shorter. */
  private keepAliveMs: number | undefined;
  private lastSentAt = 0;
  /** What a quiet connection asks (keepAliveWith); `ping` by default. */
  private keepAliveRequest: (() => Promise<unknown>) | undefined;
  online = false;

  constructor(private readonly options: ClientOptions) {
    super();
    this.keepAliveMs = options.keepAliveMs;
  }

  start(): void {
    this.connect();
  }

  /**
   * A quiet connection asks this instead of `ping`: a request that is wanted now and then anyway
   * (the daemon clock's round trip) keeps it open, and the player wakes once for both. Undefined:
   * `ping` again.
   */
  keepAliveWith(request: (() => Promise<unknown>) | undefined): void {
    this.keepAliveRequest = request;
  }

  /** Sends a command (arguments quoted by the common codec) and resolves with its reply. */
  request(name: string, ...args: Array<string | number>): Promise<Reply> {
    return this.send(formatCommand(name, ...args));
  }

  /** `att status <text>`: the rest of the line, not a quoted argument. */
  setStatus(text: string): Promise<Reply> {
    return this.send(`att status ${text.replace(/[\r\n]/g, ' ')}\n`);
  }

  download(song: string | number, first: number, last: number | undefined, handlers: DownloadHandlers): Promise<Reply> {
    const args: Array<string | number> = last === undefined ? [song, first] : [song, first, last];
    return this.send(formatCommand('download', ...args), handlers);
  }

  /**
   * Drops the connection now (a download we no longer want) and connects again at once. The client
   * is offline from this call on, not from when the socket's close event comes.
   */
  reconnect(): void {
    const socket = this.socket;
    if (!socket) return;
    socket.destroy();
    this.onClose(socket, 0);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stopKeepAlive();
    this.socket?.destroy();
  }

  private send(line: string, download?: DownloadHandlers): Promise<Reply> {
    if (!this.online || !this.socket) return Promise.reject(new OfflineError('not connected to streamd'));
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      const pending: Pending = { reply: { ok: false, text: '', fields: [] }, chars: 0, resolve, reject };
      if (download) pending.download = download;
      this.pending.push(pending);
      socket.write(line);
      this.lastSentAt = performance.now();
      this.keepAlive?.refresh();
    });
  }

  /** Quiet for the keep-alive's wait: a `ping` (or keepAliveWith's), and the wait starts again (a download in progress counts as not quiet). */
  private armKeepAlive(): void {
    const every = this.keepAliveMs;
    this.stopKeepAlive();
    if (every === undefined) return;
    this.keepAlive = setTimeout(() => {
      // A ping that fails went with its connection: the reconnect greets anew, and says why.
      if (this.online && this.pending.length === 0)
        void (this.keepAliveRequest?.() ?? this.request('ping')).catch((error: Error) =>
          this.emit('debug', `keep-alive: ${error.message}`),
        );
      this.keepAlive?.refresh();
    }, every);
    this.keepAlive.unref();
  }

  /** Cleared and forgotten: a later `refresh()` would start a cleared timer again. */
  private stopKeepAlive(): void {
    clearTimeout(this.keepAlive);
    this.keepAlive = undefined;
  }

  /**
   * The daemon closed this connection for quiet (`ERR timeout`, unasked): its connection_timeout is
   * about the time since the last command, shorter than the keep-alive's wait. The next connection
   * pings at half of it.
   */
  private timedOut(): void {
    if (this.keepAliveMs === undefined) return;
    const quietMs = performance.now() - this.lastSentAt;
    this.keepAliveMs = Math.max(MIN_KEEPALIVE_MS, Math.min(this.keepAliveMs, quietMs / 2));
  }

  private connect(): void {
    if (this.closed) return;
    const socket = net.connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    this.reader = new ResponseReader();
    this.greeted = false;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) =>
      this.emit('socket-error', `${this.options.host}:${this.options.port}: ${error.message}`),
    );
    socket.on('close', () => this.onClose(socket));
  }

  /** `delay`: when to connect again; by default the backoff for failures. */
  private onClose(socket: net.Socket, delay?: number): void {
    if (socket !== this.socket) return;
    const wasOnline = this.online;
    this.online = false;
    this.socket = undefined;
    for (const pending of this.pending.splice(0)) pending.reject(new OfflineError('connection to streamd lost'));
    this.stopKeepAlive();
    if (wasOnline) this.emit('offline');
    if (this.closed || this.passwordRefused) return;
    const wait = delay ?? (BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)] as number);
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  /** The daemon refused the password: no connection is made again with it. */
  private passwordRefused = false;

  get refusedPassword(): boolean {
    return this.passwordRefused;
  }

  /** Something else answered on the daemon's address, and was said (once until streamd answers). */
  private notStreamdSaid = false;

  private onData(chunk: Buffer): void {
    let events: ResponseEvent[];
    try {
      events = this.reader.push(chunk).events;
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      if (!this.greeted) this.notStreamd(chunk.toString('latin1').split(/\r?\n/, 1)[0] ?? '');
      else this.emit('warning', `streamd broke the protocol (${error.message}): connecting again`);
      this.socket?.destroy(); // the framing is broken: start over
      return;
    }
    for (const event of events) {
      if (!this.greeted) {
        this.onGreeting(event);
        continue;
      }
      const pending = this.pending[0];
      if (!pending) {
        if (event.type === 'err' && event.code === 'timeout') this.timedOut();
        continue;
      }
      switch (event.type) {
        case 'field':
          pending.chars += event.key.length + event.value.length;
          if (pending.chars > MAX_REPLY_CHARS) {
            this.emit(
              'warning',
              `streamd sent an answer of over ${MAX_REPLY_CHARS / 2 ** 20} M characters: connecting again`,
            );
            this.socket?.destroy();
            return;
          }
          // streamd sends no control in a value (sanitizeValue); one that does (older, hostile) gets
          // spaces for them here, so no NUL, CR or escape reaches a screen, D-Bus, an environment or a playlist.
          pending.reply.fields.push([event.key, sanitizeValue(event.value)]);
          break;
        case 'block':
          pending.download?.onBlock(event.block);
          break;
        case 'block-data':
          this.emit('bytes', event.bytes.length);
          pending.download?.onData(event.index, event.bytes);
          break;
        case 'block-end':
          pending.download?.onBlockEnd(event.index);
          break;
        case 'binary-data':
          // One piece is at most MAX_BINARY_BYTES (the reader refuses more).
          pending.reply.binary = Buffer.concat([pending.reply.binary ?? Buffer.alloc(0), event.bytes]);
          break;
        case 'ok':
        case 'err':
          this.pending.shift();
          pending.reply.ok = event.type === 'ok';
          pending.reply.text = sanitizeValue(event.type === 'ok' ? event.text : event.message);
          if (event.type === 'err') pending.reply.code = event.code;
          pending.resolve(pending.reply);
          break;
        default:
          break;
      }
    }
  }

  /**
   * Something that is not streamd answers on the daemon's address (another service took the port):
   * said once until a streamd answers there, with what it said, instead of a plain 'offline'.
   */
  private notStreamd(said: string): void {
    if (this.notStreamdSaid) return;
    this.notStreamdSaid = true;
    const shown = sanitizeValue(said).slice(0, 60);
    this.emit(
      'warning',
      `${this.options.host}:${this.options.port} answers, but not as streamd (it said '${shown}'): is another program on that port?`,
    );
  }

  private onGreeting(event: ResponseEvent): void {
    if (event.type !== 'ok') {
      this.socket?.destroy(); // server_full: try again later
      return;
    }
    if (!/^streamd\b/.test(event.text)) {
      this.notStreamd(`OK ${event.text}`); // MPD greets as `OK MPD 0.23.5`
      this.socket?.destroy();
      return;
    }
    this.notStreamdSaid = false;
    this.greeted = true;
    this.online = true;
    this.lastSentAt = performance.now();
    this.attempt = 0;
    // Their answers come first; a refusal is told, and later commands say what they lack.
    // A name refused for want of the password is the password's refusal, told once.
    const refusedIf =
      (what: string) =>
      (reply: Reply): void => {
        if (!reply.ok && (what === 'password' || reply.code !== 'permission'))
          this.emit('refused', `streamd refused the ${what}: ${reply.text || reply.code}`);
        if (!reply.ok && what === 'password') {
          // Asking again with the same password only makes the daemon's log (and fail2ban) count
          // more guesses: this client stays away until the player is started with another.
          this.passwordRefused = true;
          this.socket?.destroy();
        }
      };
    if (this.options.password) this.handshake(formatCommand('password', this.options.password), refusedIf('password'));
    const name = refusedIf(`device name '${this.options.name}'`);
    const register = this.options.register;
    if (register) {
      // A daemon without calls does not know `register`: a plain `hello` then.
      this.handshake(formatCommand('register', this.options.name, '-', register.voicePort), (reply) => {
        if (reply.code === 'unknown_command') this.handshake(formatCommand('hello', this.options.name), name);
        else name(reply);
      });
    } else this.handshake(formatCommand('hello', this.options.name), name);
    // A daemon older than `formats` answers unknown_command, and serves MP3 and WAV only.
    if (this.options.formats?.length) this.handshake(formatCommand('formats', ...this.options.formats), () => {});
    this.armKeepAlive();
    this.emit('online');
  }

  private handshake(line: string, check: (reply: Reply) => void): void {
    this.pending.push({ reply: { ok: false, text: '', fields: [] }, chars: 0, resolve: check, reject: () => {} });
    this.socket?.write(line);
  }
}
