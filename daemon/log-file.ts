/**
 * The log file of a daemon started in the background (`streamd start`): written synchronously, so
 * the lines logged just before an exit are kept (an asynchronous stream, rotating-file-stream's
 * for one, loses what is pending at process.exit), and rotated by size as logrotate would:
 * streamd.log -> streamd.log.1 -> ... -> streamd.log.<keep>, the oldest dropped. A line is never
 * split across two files. A write that fails (a full disk) loses the line and nothing else.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export class RotatingLogFile {
  private fd: number | undefined;
  private size = 0;
  /** After a rotation that failed: not tried again until the file has grown by a cap more (not at every line). */
  private rotateAt: number;

  /** @param keep rotated files kept besides the one written to */
  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.rotateAt = maxBytes;
    this.open();
  }

  write(text: string): boolean {
    const bytes = Buffer.from(text);
    if (this.size > 0 && this.size + bytes.length > this.rotateAt) this.rotate();
    if (this.fd === undefined) this.open();
    if (this.fd === undefined) return false;
    try {
      writeSync(this.fd, bytes);
      this.size += bytes.length;
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private rotate(): void {
    this.close();
    try {
      rmSync(`${this.file}.${this.keep}`, { force: true });
      for (let n = this.keep - 1; n >= 1; n--)
        if (existsSync(`${this.file}.${n}`)) renameSync(`${this.file}.${n}`, `${this.file}.${n + 1}`);
      renameSync(this.file, `${this.file}.1`);
    } catch {
      // Could not move them (a read-only or full disk): the file is written on, past its cap.
    }
    this.open();
    this.rotateAt = this.size + this.maxBytes;
  }

  private open(): void {
    try {
      this.fd = openSync(this.file, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    } catch {
      this.fd = undefined;
    }
  }
}
