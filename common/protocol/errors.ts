/**
 * The error catalog: every code the daemon can answer with, and what it means. Codes are stable
 * (clients switch on them); messages are for people. docs/protocol.md lists the same codes and a
 * test keeps the two in step.
 */
export const ERROR_CODES = {
  unknown_command: 'the first word is not a command',
  bad_request: 'the line cannot be read: invalid UTF-8, an unterminated quote or a bad escape',
  bad_argument: 'wrong number of arguments, or an argument out of range or of the wrong form',
  not_found: 'no song in the catalog answers to that name (whatever the name points at)',
  ambiguous: 'a file name without extension matches more than one song',
  permission: 'the daemon has a password and this connection has not given it',
  line_too_long: 'the line exceeds max_line_bytes; the connection is closed',
  server_full:
    'max_connections (or max_connections_per_address from the address) are open; sent instead of the greeting, then the connection is closed',
  timeout:
    'no complete command for connection_timeout seconds, or no password within auth_timeout; the connection is closed',
  shutting_down: 'the daemon is stopping; ends a download in progress',
  busy: 'a limit of things running at once is reached (song streams per address or in all, calls), or of stored playlists, a party of a call is in a call already, or a device name is held by connections from another host',
  unavailable: 'the device is not registered for calls (`register`); `hello` alone does not make it callable',
  io_error: 'the song could not be read (vanished, changed or unreadable)',
  internal_error: 'a fault in the daemon itself; it is logged, and the connection lives on',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * A failed command. The connection lives on unless `fatal` is set (two tiers of
 * failure: a failed command answers ERR; a framing error or a broken limit closes).
 *
 * @example throw new ProtocolError('not_found', `no such song '${name}'`);
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fatal = false,
    /** What went wrong underneath (an errno error, say), for the daemon's log. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ProtocolError';
  }
}

export function isErrorCode(word: string): word is ErrorCode {
  return Object.hasOwn(ERROR_CODES, word);
}
