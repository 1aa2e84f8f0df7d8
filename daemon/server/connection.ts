/**
 * One client connection: frames its input into lines, answers them one at a time in order
 * (pipelining), and writes with backpressure. Bounded on every side: a line is at most
 * max_line_bytes, at most max_pipelined_commands (and max_pipelined_bytes) wait (then the socket is
 * paused, so TCP pushes back on the client, and the rest of the chunk in hand stays raw bytes), at
 * most max_output_bytes are queued for it (then the handler waits).
 */
import { CONTRACT_FORMATS } from '../../common/protocol/records.js';
import type { Socket } from 'node:net';
import type { Limits } from '../../common/limits.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { LineReader, type Line } from '../../common/protocol/line-reader.js';
import { errLine } from '../../common/protocol/response.js';
import type { CommandTable } from '../commands/dispatch.js';
import type { CommandContext, Output, Services, Session } from '../commands/types.js';
import { SongFileError } from '../catalog/open-song.js';
import { transmitProgress } from './transmit-progress.js';
import type { Logger } from '../log.js';

/** The client went away while a handler was writing to it. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

export interface ConnectionDeps {
  table: CommandTable;
  services: Services;
  limits: Limits;
  log: Logger;
  /** The connection is done: its client said quit, broke a limit, or went away. Called once. */
  onClose(connection: Connection): void;
  /** Bytes this connection may have queued now: max_output_bytes, or less when many are open (max_output_bytes_total). */
  outputShare(): number;
  /** A command came: `light` as Command.light says. */
  arrived(light: boolean): void;
}

const OVERFLOW = Symbol('line too long');
/** A blank line asks nothing: see onData. */
const asksSomething = (line: Line): boolean => !line.ok || line.text.trim() !== '';
/** How long a write waits before it takes its first reading of the client's progress. */
const STALL_BASELINE_MS = 1000;
/** After `end()`, how long a peer that does not read may keep the socket half-open. */
const END_GRACE_MS = 5000;

export class Connection implements Output {
  readonly session: Session;
  private readonly reader: LineReader;
  private readonly queue: Array<Line | typeof OVERFLOW> = [];
  /** Bytes of the queued lines' text. */
  private queuedBytes = 0;
  /** Input read from the socket but not framed yet, because the queue was full: at most a chunk or two. */
  private backlog: Buffer | undefined;
  private overflowed = false;
  private readonly abort = new AbortController();
  private readonly context: Omit<CommandContext, 'interrupted'>;
  /** Aborted when a line arrives while a command runs: it ends an `idle`. */
  private interrupt = new AbortController();
  private pumping = false;
  private busy = false;
  private closed = false;
  private ending = false;
  private shuttingDown = false;
  private inputEnded = false;
  private released = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private drainWaiter: { resolve(): void; reject(error: Error): void; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly socket: Socket,
    id: number,
    private readonly deps: ConnectionDeps,
  ) {
    this.session = {
      id,
      address: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      authorized: deps.services.password === undefined,
      passwordFailures: 0,
      closeAfterReply: false,
      formats: new Set(CONTRACT_FORMATS),
    };
    this.reader = new LineReader(deps.limits.max_line_bytes);
    this.context = { session: this.session, out: this, signal: this.abort.signal, services: deps.services };
  }

  start(greeting: string): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.settleDrain());
    this.socket.on('error', (error) => this.deps.log.debug(`${this.session.address}: ${error.message}`));
    this.socket.on('close', () => this.onClose());
    // The client may half-close after its last command (`printf 'lista\n' | nc`): answer it all first.
    // An `idle` is the exception: it waits for something the client can no longer stop, so a client
    // gone while idling would hold its slot until the topic changes. It ends there, as MPD's does.
    this.socket.on('end', () => {
      this.inputEnded = true;
      if (!this.pumping) this.end();
      else this.interrupt.abort();
    });
    this.socket.write(greeting);
    this.resetIdleTimer();
    if (!this.session.authorized) {
      // With a password, a connection that does not give it soon holds no slot for long.
      this.authTimer = setTimeout(() => {
        if (this.session.authorized || this.closed || this.ending) return;
        this.socket.write(errLine('timeout', `no password within ${this.deps.limits.auth_timeout} s; closing`));
        this.end();
      }, this.deps.limits.auth_timeout * 1000);
      this.authTimer.unref();
    }
  }

  /** Output: queues the bytes, and waits while the client's queue is over its share (max_output_bytes, less when many connections are open). */
  write(data: string | Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionClosedError());
    this.socket.write(data);
    if (this.socket.writableLength <= this.deps.outputShare()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // Progress, not an empty queue: a client that reads slowly but steadily is not cut. The first
      // reading (it reads /proc) waits a moment: most waits end within milliseconds.
      const limitMs = this.deps.limits.write_stall_timeout * 1000;
      let seen = '';
      const check = (): void => {
        const now = transmitProgress(this.socket);
        if (now !== seen) {
          seen = now;
          return;
        }
        this.deps.log.info(
          `${this.session.address}: read nothing for ${this.deps.limits.write_stall_timeout} s, disconnected`,
        );
        this.socket.destroy();
      };
      const waiter = {
        resolve,
        reject,
        timer: setTimeout(
          () => {
            seen = transmitProgress(this.socket);
            waiter.timer = setInterval(check, limitMs);
          },
          Math.min(STALL_BASELINE_MS, limitMs / 4),
        ),
      };
      this.drainWaiter = waiter;
    });
  }

  /** Bytes written to the socket that the kernel has not taken yet. */
  get queuedOutput(): number {
    return this.socket.writableLength;
  }

  /** Daemon stopping: idle connections close now, a download ends with ERR at its next block. */
  shutdown(): void {
    this.shuttingDown = true;
    this.abort.abort();
    if (!this.busy) this.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.overflowed) return; // the connection is closing: nothing more is read
    this.backlog = this.backlog ? Buffer.concat([this.backlog, chunk]) : chunk;
    this.frame();
    void this.pump();
  }

  private get queueFull(): boolean {
    return (
      this.queue.length >= this.deps.limits.max_pipelined_commands ||
      this.queuedBytes >= this.deps.limits.max_pipelined_bytes
    );
  }

  /** Frames backlog into queued lines while there is room, and stops reading the socket when there is none. */
  private frame(): void {
    while (this.backlog && !this.queueFull) {
      const { lines, overflow, rest } = this.reader.push(
        this.backlog,
        this.deps.limits.max_pipelined_commands - this.queue.length,
      );
      this.backlog = rest;
      // Blank lines ask nothing: they are not queued, get no answer, hold no memory, keep no
      // connection from being idle and end no `idle`.
      const asked = lines.filter(asksSomething);
      if (asked.length > 0) this.resetIdleTimer();
      if (this.busy && (overflow || asked.length > 0)) this.interrupt.abort();
      for (const line of asked) {
        this.queue.push(line);
        this.queuedBytes += line.ok ? line.text.length : 0;
      }
      if (overflow) {
        this.queue.push(OVERFLOW);
        this.overflowed = true;
        this.backlog = undefined;
        break;
      }
    }
    if (this.backlog || this.queueFull || this.overflowed) this.socket.pause();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed && !this.ending) {
        const item = this.queue.shift() as Line | typeof OVERFLOW;
        if (item !== OVERFLOW && item.ok) this.queuedBytes -= item.text.length;
        if (item === OVERFLOW) {
          await this.write(
            errLine('line_too_long', `line longer than ${this.deps.limits.max_line_bytes} bytes; closing`),
          );
          this.end();
          return;
        }
        this.busy = true;
        await this.answer(item);
        this.busy = false;
        // Time without a command counts from the end of the last answer: a long download or
        // `idle` leaves the client the whole connection_timeout afterwards.
        this.resetIdleTimer();
        if (this.session.closeAfterReply || this.shuttingDown) {
          this.end();
          return;
        }
        if (
          this.socket.isPaused() &&
          this.queue.length < this.deps.limits.max_pipelined_commands / 2 &&
          this.queuedBytes < this.deps.limits.max_pipelined_bytes / 2
        ) {
          this.frame();
          if (!this.backlog && !this.queueFull) this.socket.resume();
        }
      }
      if (this.inputEnded) this.end();
    } catch (error) {
      if (!(error instanceof ConnectionClosedError)) {
        this.deps.log.error(`${this.session.address}: ${(error as Error).stack ?? error}`);
        this.socket.destroy();
      }
    } finally {
      this.busy = false;
      this.pumping = false;
    }
  }

  private async answer(line: Line): Promise<void> {
    try {
      if (!line.ok) throw new ProtocolError('bad_request', 'the line is not valid UTF-8');
      const parsed = this.deps.table.parse(line.text);
      if (!parsed) return;
      this.deps.arrived(parsed.command.light === true);
      if (!this.session.authorized && !parsed.command.open) {
        throw new ProtocolError('permission', 'this daemon has a password: send password <secret> first');
      }
      this.interrupt = new AbortController();
      // A line that came in while the previous command ran is already queued: it interrupts too; so
      // does the end of the client's input (an `idle` after it would wait for nobody).
      if (this.queue.length > 0 || this.inputEnded) this.interrupt.abort();
      await parsed.command.run({ ...this.context, interrupted: this.interrupt.signal }, parsed.args);
    } catch (error) {
      this.deps.arrived(false); // refusals are work too: a flood of bad lines is load
      if (error instanceof ProtocolError) {
        if (error.cause instanceof SongFileError)
          this.deps.services.counters.descriptors.failed(error.cause.code, error.message);
        await this.write(errLine(error.code, error.message));
        if (error.fatal) this.session.closeAfterReply = true;
      } else if (error instanceof ConnectionClosedError) {
        throw error;
      } else {
        this.deps.log.error(`${this.session.address}: ${(error as Error).stack ?? error}`);
        await this.write(errLine('internal_error', 'the daemon failed to answer; see its log'));
      }
    }
  }

  private resetIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.onIdle(), this.deps.limits.connection_timeout * 1000);
    this.idleTimer.unref();
  }

  private onIdle(): void {
    if (this.busy) return this.resetIdleTimer(); // a download in progress is not idle
    if (this.closed || this.ending) return;
    this.socket.write(errLine('timeout', `no command for ${this.deps.limits.connection_timeout} s; closing`));
    this.end();
  }

  /**
   * Closes after the last answer: the device is gone at once (not when the peer closes its side),
   * and the socket is destroyed as soon as the answer is flushed, whatever the client does.
   */
  private end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    clearTimeout(this.idleTimer);
    this.release();
    this.socket.end(() => this.socket.destroy());
    setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.deps.onClose(this);
  }

  private settleDrain(): void {
    const waiter = this.drainWaiter;
    if (!waiter || this.socket.writableLength > this.deps.outputShare()) return;
    this.drainWaiter = undefined;
    clearTimeout(waiter.timer); // the first reading's timeout, or the interval after it
    waiter.resolve();
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.authTimer);
    this.abort.abort();
    const waiter = this.drainWaiter;
    if (waiter) {
      this.drainWaiter = undefined;
      clearTimeout(waiter.timer); // the first reading's timeout, or the interval after it
      waiter.reject(new ConnectionClosedError());
    }
    this.release();
  }
}
