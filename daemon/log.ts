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

/**
 * Characters that would make one event look like two, or drive a terminal reading the log (C0 and C1
 * controls, line and paragraph separators, bidi overrides): written as escapes instead.
 */
const UNSAFE_IN_LOG = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A message as one line, whatever outside text it holds (an Icecast server's status line, a tag, a
 * client's word): `\n` for a line feed, `\r`, `\t`, else `\u` and four hex digits, and a backslash
 * doubled, so that a forged line (`password refused for ...` after a line feed) never starts a line.
 *
 * @example oneLine('HTTP/1.0 401\npassword refused for 203.0.113.77') // 'HTTP/1.0 401\\npassword refused for 203.0.113.77'
 */
export function oneLine(message: string): string {
  return message.replace(/\\/g, '\\\\').replace(UNSAFE_IN_LOG, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function createLogger(out: LogOutput, level: LogLevel = 'info', format: 'plain' | 'journal' = 'plain'): Logger {
  const write = (at: LogLevel) => (raw: string) => {
    if (ORDER[at] < ORDER[level]) return;
    const message = oneLine(raw);
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
