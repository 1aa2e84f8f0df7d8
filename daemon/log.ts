/**
 * The daemon's log: one line per event, ISO time and level first, to stderr or the log file. Under
 * systemd (JOURNAL_STREAM says stderr is the journal's) the journal keeps the time, so a line is
 * the level as syslog's `<N>` prefix, which journald reads as the priority, then the message.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** sd-daemon(3)'s prefixes: debug 7, info 6, warning 4, err 3. */
const JOURNAL_PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Where lines go: stderr, a RotatingLogFile, a test's buffer. */
export interface LogOutput {
  write(text: string): unknown;
}

export function createLogger(out: LogOutput, level: LogLevel = 'info', format: 'plain' | 'journal' = 'plain'): Logger {
  const write = (at: LogLevel) => (message: string) => {
    if (ORDER[at] < ORDER[level]) return;
    out.write(
      format === 'journal'
        ? `<${JOURNAL_PRIORITY[at]}>${message}\n`
        : `${new Date().toISOString()} ${at.padEnd(5)} ${message}\n`,
    );
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** For tests and tools that want quiet. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
