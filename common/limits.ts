/**
 * Every limit the daemon enforces, with its name and default, in one place: an operator finds them
 * all here and in docs/protocol.md, Limits. The config file can override each of them.
 *
 * @example
 *   const limits = { ...DEFAULT_LIMITS, max_connections: 32 };
 */
export interface Limits {
  /** Longest command line in bytes, CR LF excluded (docs/protocol.md, Commands). */
  max_line_bytes: number;
  /** Open TCP connections at once; the next one gets `ERR server_full` and is closed. */
  max_connections: number;
  /** Open TCP connections from one IP address; the next one from it gets `ERR server_full`. */
  max_connections_per_address: number;
  /** With a password set: seconds a connection has to give it before it is closed. */
  auth_timeout: number;
  /** Seconds without a complete command before a connection is closed (not while a download runs). */
  connection_timeout: number;
  /** Bytes queued for one client before the daemon stops producing output for it (backpressure). */
  max_output_bytes: number;
  /**
   * Bytes queued for all clients together: each connection's share is this over the connections
   * open (at most max_output_bytes, at least 64 KiB), so that clients that never read hold this
   * much of the daemon's memory at the most, however many connections they open.
   */
  max_output_bytes_total: number;
  /** Commands read ahead of the one being answered before the daemon stops reading the socket. */
  max_pipelined_commands: number;
  /** Bytes of commands read ahead, whatever their number: past it the daemon stops reading the socket too. */
  max_pipelined_bytes: number;
  /** Seconds a client with a full output queue may read nothing (its TCP acknowledges nothing) before it is disconnected. */
  write_stall_timeout: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  max_line_bytes: 4096,
  max_connections: 256,
  max_connections_per_address: 32,
  auth_timeout: 10,
  connection_timeout: 60,
  max_output_bytes: 1024 * 1024,
  max_output_bytes_total: 64 * 1024 * 1024,
  max_pipelined_commands: 64,
  max_pipelined_bytes: 64 * 1024,
  write_stall_timeout: 60,
});

/** Fixed by docs/protocol.md, Commands, not configurable. */
export const STATUS_MAX_CHARS = 256;
export const DEVICE_NAME_MAX_CHARS = 64;
/**
 * A device name: 1 to 64 letters (any script), digits, spaces and `. _ - '`, no space first or
 * last (`Living Room`, `Küche`, `台所`). PROTOCOL.md's `A-Z a-z 0-9 . _ -` is a part of it, so
 * every name a contract client gives is still one; a name with a space goes in double quotes.
 */
export const DEVICE_NAME_PATTERN = /^(?! )[\p{L}\p{M}\p{N} ._'-]{1,64}(?<! )$/u;
export const DEVICE_NAME_RULE = "1-64 letters, digits, spaces and . _ - ' (no space first or last)";

/** The name as the daemon keeps it (NFC: `Küche` typed either way is one device), or undefined if it is none. */
export function deviceName(text: string): string | undefined {
  const name = text.normalize('NFC');
  return DEVICE_NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * A tag (title, artist, album) as the daemon serves it, at most: longer ones are cut, ending in an
 * ellipsis. With a path at most 4,096 bytes (Linux's PATH_MAX), no line the daemon sends comes near
 * MAX_RESPONSE_LINE_BYTES (common/protocol/response-reader.ts), the longest line a client reads.
 */
export const MAX_TAG_CHARS = 1024;

/** `text` cut to `max` characters (Unicode code points), the last one an ellipsis when it was cut. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text; // UTF-16 units are never fewer than code points
  const points = [...text];
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/** Seconds of audio in one download block (docs/protocol.md, Downloads). */
export const BLOCK_SECONDS = 30;
