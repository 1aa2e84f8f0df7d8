/** The daemon's log: one line per event, ISO time and level first, to a stream (stderr or the log file). */
import type { Writable } from 'node:stream';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(out: Writable, level: LogLevel = 'info'): Logger {
  const write = (at: LogLevel) => (message: string) => {
    if (ORDER[at] < ORDER[level]) return;
    out.write(`${new Date().toISOString()} ${at.padEnd(5)} ${message}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** For tests and tools that want quiet. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
