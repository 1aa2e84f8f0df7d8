/**
 * The radio programme as an Icecast source: one target's connection. HTTP PUT of
 * `audio/mpeg` with Basic auth and the Ice-* headers (Icecast 2.4 and later); the old SOURCE method
 * when a server does not take PUT. The MP3 frames come from the radio already paced in real time;
 * the title follows the programme through Icecast's metadata update.
 *
 * Faults never reach the rest of the daemon: a refused or lost connection is tried again after
 * 1, 2, 4 ... up to 60 s; the same error is logged once, not at every try; a server that stops
 * reading is dropped after WRITE_TIMEOUT_MS, and until then frames beyond MAX_QUEUED_BYTES are
 * dropped and counted, never queued without end.
 */
import http from 'node:http';
import net from 'node:net';
import type { IcecastTargetSettings } from '../../common/config-schema.js';
import type { Logger } from '../log.js';

const MAX_BACKOFF_MS = 60_000;
/** About 16 s of a 128 kbit/s programme. */
const MAX_QUEUED_BYTES = 256 * 1024;
const WRITE_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 10_000;
const METADATA_TIMEOUT_MS = 5000;

export interface IcecastStatus {
  /** The target without its password. */
  url: string;
  state: 'connecting' | 'connected' | 'retrying';
  /** When retrying: seconds until the next try. */
  retryIn?: number;
  lastError?: string;
  framesDropped: number;
}

/**
 * A target's state in a few words, for `radio`, `stats` and `streamd status`.
 * @example stateText({ url: '', state: 'retrying', retryIn: 8, lastError: 'wrong user or password (401)', framesDropped: 0 })
 *   // 'retrying in 8 s (wrong user or password (401))'
 */
export function stateText(status: IcecastStatus): string {
  const state = status.state === 'retrying' ? `retrying in ${status.retryIn ?? 0} s` : status.state;
  return status.lastError && status.state !== 'connected' ? `${state} (${status.lastError})` : state;
}

interface Target {
  host: string;
  port: number;
  mount: string;
  auth: string;
  shown: string;
}

/** `http://host:port/mount` and the credentials, checked. */
export function parseTarget(settings: IcecastTargetSettings): Target {
  const url = new URL(settings.url);
  if (url.protocol !== 'http:') throw new Error(`icecast target ${settings.url}: only http:// is supported`);
  if (url.pathname.length < 2)
    throw new Error(`icecast target ${settings.url}: no mount point (http://host:port/mount)`);
  const user = settings.user ?? (decodeURIComponent(url.username) || 'source');
  const password = settings.password ?? decodeURIComponent(url.password);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 80),
    mount: url.pathname,
    auth: Buffer.from(`${user}:${password}`).toString('base64'),
    shown: `http://${url.host}${url.pathname}`,
  };
}

export class IcecastSource {
  private readonly target: Target;
  private socket: net.Socket | undefined;
  private streaming = false;
  private method: 'PUT' | 'SOURCE' = 'PUT';
  private failures = 0;
  private retryAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  private loggedError: string | undefined;
  private framesDropped = 0;
  private title: string | undefined;
  /** A title update under way (one at a time), and the newest title waiting for it to end. */
  private titleRequest: http.ClientRequest | undefined;
  private titleWanted: string | undefined;
  private closed = false;

  /** @param onChange told when it connects or loses the connection (the radio runs while one is connected) */
  constructor(
    settings: IcecastTargetSettings,
    private readonly about: { name: string; description: string; userAgent: string },
    private readonly log: Logger,
    private readonly onChange: () => void,
  ) {
    this.target = parseTarget(settings);
  }

  get connected(): boolean {
    return this.streaming;
  }

  status(now = Date.now()): IcecastStatus {
    const state = this.streaming ? 'connected' : this.retryTimer ? 'retrying' : 'connecting';
    return {
      url: this.target.shown,
      state,
      ...(state === 'retrying' ? { retryIn: Math.max(0, Math.ceil((this.retryAt - now) / 1000)) } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      framesDropped: this.framesDropped,
    };
  }

  start(): void {
    if (this.closed || this.socket) return;
    const socket = net.connect({ host: this.target.host, port: this.target.port });
    this.socket = socket;
    socket.setNoDelay(true);
    let answer = '';
    const answerTimer = setTimeout(() => socket.destroy(new Error('no answer from the server')), ANSWER_TIMEOUT_MS);
    socket.on('connect', () => socket.write(this.request()));
    socket.on('data', (chunk: Buffer) => {
      if (this.streaming) return; // Icecast says nothing more to a source
      answer += chunk.toString('latin1');
      const end = answer.indexOf('\r\n\r\n');
      if (end < 0 && answer.length < 8192) return;
      clearTimeout(answerTimer);
      const status = Number(/^(?:HTTP\/1\.[01]|ICE\/1\.0) (\d{3})/.exec(answer)?.[1] ?? 0);
      if (status === 200 || status === 100) return this.connectedNow(socket);
      if (this.method === 'PUT' && (status === 400 || status === 405 || status === 501)) this.method = 'SOURCE'; // an Icecast before 2.4
      const why =
        status === 401
          ? 'wrong user or password (401)'
          : status === 403
            ? `refused (403: the mount is in use, or a limit)`
            : `answered ${answer.split('\r\n')[0] || 'nothing'}`;
      socket.destroy(new Error(why));
    });
    socket.on('error', (error) => (this.lastError = error.message));
    socket.on('close', () => {
      clearTimeout(answerTimer);
      this.lost(socket);
    });
  }

  /** `count` whole MP3 frames, at the moment they are due. */
  write(frames: Buffer, count: number): void {
    const socket = this.socket;
    if (!this.streaming || !socket) return;
    if (socket.writableLength > MAX_QUEUED_BYTES) return void (this.framesDropped += count);
    socket.write(frames);
  }

  /**
   * The programme's new song: Icecast's metadata update (what listeners see as the stream title).
   * One request at a time: a title that comes while one is under way waits, and only the newest
   * waits; a request has METADATA_TIMEOUT_MS in all (a server that trickles its answer is cut off).
   */
  setTitle(title: string): void {
    this.title = title;
    if (!this.streaming) return;
    this.titleWanted = title;
    if (!this.titleRequest) this.sendTitle();
  }

  private sendTitle(): void {
    const title = this.titleWanted;
    this.titleWanted = undefined;
    if (title === undefined || this.closed || !this.streaming) return;
    const query = new URLSearchParams({ mount: this.target.mount, mode: 'updinfo', song: title });
    const request = http.get({
      host: this.target.host,
      port: this.target.port,
      path: `/admin/metadata?${query}`,
      headers: { Authorization: `Basic ${this.target.auth}`, 'User-Agent': this.about.userAgent },
    });
    this.titleRequest = request;
    const deadline = setTimeout(() => request.destroy(new Error('no whole answer in time')), METADATA_TIMEOUT_MS);
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      this.titleRequest = undefined;
      this.sendTitle(); // the newest title that came meanwhile, if any
    };
    request.on('response', (response) => {
      if (response.statusCode !== 200)
        this.log.debug(`icecast ${this.target.shown}: title update answered ${response.statusCode}`);
      response.on('error', (error) => this.log.debug(`icecast ${this.target.shown}: title update: ${error.message}`));
      response.resume();
      response.on('end', () => request.destroy());
    });
    request.on('error', (error) => this.log.debug(`icecast ${this.target.shown}: title update: ${error.message}`));
    request.on('close', done);
  }

  close(): void {
    this.closed = true;
    this.titleWanted = undefined;
    this.titleRequest?.destroy();
    clearTimeout(this.retryTimer);
    clearInterval(this.watchTimer);
    this.retryTimer = undefined;
    this.socket?.destroy();
  }

  private request(): string {
    const { mount, host, port, auth } = this.target;
    const first = this.method === 'PUT' ? `PUT ${mount} HTTP/1.1` : `SOURCE ${mount} HTTP/1.0`;
    const headers = [
      first,
      `Host: ${host}:${port}`,
      `Authorization: Basic ${auth}`,
      `User-Agent: ${this.about.userAgent}`,
      'Content-Type: audio/mpeg',
      `Ice-Name: ${this.about.name}`,
      `Ice-Description: ${this.about.description}`,
      'Ice-Public: 0',
    ];
    return `${headers.join('\r\n')}\r\n\r\n`;
  }

  private connectedNow(socket: net.Socket): void {
    this.streaming = true;
    this.failures = 0;
    this.lastError = undefined;
    this.log.info(
      `icecast ${this.target.shown}: connected${this.loggedError !== undefined ? ' again' : ''} (${this.method})`,
    );
    this.loggedError = undefined;
    // A server that stops reading: what is queued makes no progress for WRITE_TIMEOUT_MS.
    let written = socket.bytesWritten;
    let stuckSince = Date.now();
    this.watchTimer = setInterval(() => {
      if (socket.bytesWritten !== written || socket.writableLength === 0) {
        written = socket.bytesWritten;
        stuckSince = Date.now();
      } else if (Date.now() - stuckSince > WRITE_TIMEOUT_MS)
        socket.destroy(new Error(`the server took nothing for ${WRITE_TIMEOUT_MS / 1000} s`));
    }, 1000);
    this.onChange();
    if (this.title !== undefined) this.setTitle(this.title);
  }

  private lost(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    clearInterval(this.watchTimer);
    const was = this.streaming;
    this.streaming = false;
    if (this.closed) return;
    const error = this.lastError ?? 'the connection closed';
    this.lastError = error;
    // The same error at every try is said once; it is in `radio` and `streamd status` meanwhile.
    if (error !== this.loggedError)
      this.log.warn(
        `icecast ${this.target.shown}: ${was ? 'lost: ' : ''}${error}; trying again with backoff up to ${MAX_BACKOFF_MS / 1000} s`,
      );
    this.loggedError = error;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures++);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, delay);
    if (was) this.onChange();
  }
}
