/**
 * Remote control (docs/protocol.md, Remote control): what one device asks another to do through
 * the daemon, as `remote <device> <action> [args]` is written, and as the daemon hands it to the
 * device that takes it (`remotes`: one record per command). And what a player says of itself for
 * the others to see (`att player`: volume, queue length, whether it takes remote control). Pure.
 *
 * @example parseRemote(['seek', '61.5']) // { action: 'seek', seconds: 61.5 }
 * @example remoteFields({ action: 'add', songs: ['A/1.mp3'] }) // [['action', 'add'], ['file', 'A/1.mp3']]
 */
import { DEFAULT_LIMITS, deviceName, DEVICE_NAME_RULE } from '../limits.js';
import { quoteArg } from './args.js';
import type { Field } from './response.js';

/** Songs one command names at most (an album, a queue handed over in parts). */
export const MAX_REMOTE_SONGS = 200;

/**
 * Songs in runs that each fit one command line after `prefix` (the command's words before them,
 * as `['remote', 'kitchen', 'add']`): at most MAX_REMOTE_SONGS a run, and each line, quoted as
 * it is sent, within the daemon's default line length (a longer line closes the connection).
 */
export function songRuns(songs: readonly string[], prefix: readonly string[]): string[][] {
  const lineBytes = (words: readonly string[]): number => Buffer.byteLength(words.map(quoteArg).join(' '));
  const base = lineBytes(prefix) + 2; // CR LF
  const runs: string[][] = [];
  let run: string[] = [];
  let bytes = base;
  for (const song of songs) {
    const size = lineBytes([song]) + 1;
    if (run.length === MAX_REMOTE_SONGS || (run.length > 0 && bytes + size > DEFAULT_LIMITS.max_line_bytes)) {
      runs.push(run);
      run = [];
      bytes = base;
    }
    run.push(song);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

export type RemoteCommand =
  /** With songs: they become the queue and the first plays. Without: play (start or resume). */
  | { action: 'play'; songs: string[] }
  | { action: 'add'; songs: string[] }
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'toggle' }
  | { action: 'stop' }
  | { action: 'next' }
  | { action: 'previous' }
  /** To this second of the song playing. */
  | { action: 'seek'; seconds: number }
  | { action: 'volume'; percent: number }
  /** Queue entries, from 0. */
  | { action: 'move'; from: number; to: number }
  | { action: 'delete'; pos: number }
  | { action: 'clear' }
  /** The queue entry `pos` played from `positionMs` (a handoff); with `atMs`, its sound starting at that daemon-clock instant. */
  | { action: 'start'; pos: number; positionMs: number; atMs?: number | undefined }
  /** Hand the song, its place and the queue to another device (a handoff): it plays on there, and stops here as it starts. */
  | { action: 'send'; to: string }
  /** Listen along with another device: play what it plays, where it is, until a playback command of one's own. */
  | { action: 'follow'; leader: string };

export type RemoteAction = RemoteCommand['action'];

const WHOLE = /^\d{1,9}$/;
const USAGE: Record<RemoteAction, string> = {
  play: 'play [<song>...]',
  add: 'add <song>...',
  pause: 'pause',
  resume: 'resume',
  toggle: 'toggle',
  stop: 'stop',
  next: 'next',
  previous: 'previous',
  seek: 'seek <seconds>',
  volume: 'volume <0-100>',
  move: 'move <from> <to>',
  delete: 'delete <pos>',
  clear: 'clear',
  start: 'start <pos> <position_ms> [<at_ms>]',
  send: 'send <device>',
  follow: 'follow <device>',
};
export const REMOTE_ACTIONS = Object.keys(USAGE) as RemoteAction[];

const isAction = (word: string): word is RemoteAction => Object.hasOwn(USAGE, word);

/** An action and its arguments as `remote` takes them (after the device), or why not. Songs are names, as given. */
export function parseRemote(words: readonly string[]): RemoteCommand | string {
  const [word = '', ...args] = words;
  const action = word.toLowerCase();
  if (!isAction(action)) return `the action is one of ${REMOTE_ACTIONS.join(', ')}`;
  const usage = `remote <device> ${USAGE[action]}`;
  switch (action) {
    case 'play':
    case 'add':
      if ((action === 'add' && args.length === 0) || args.length > MAX_REMOTE_SONGS)
        return `${usage} (at most ${MAX_REMOTE_SONGS} songs)`;
      return { action, songs: [...args] };
    case 'seek': {
      const [seconds] = args;
      if (args.length !== 1 || !/^\d{1,6}(\.\d{1,3})?$/.test(seconds as string)) return `${usage}: seconds, 0 or more`;
      return { action, seconds: Number(seconds) };
    }
    case 'volume': {
      const [percent] = args;
      if (args.length !== 1 || !/^\d{1,3}$/.test(percent as string) || Number(percent) > 100) return usage;
      return { action, percent: Number(percent) };
    }
    case 'move': {
      const [from, to] = args;
      if (args.length !== 2 || !WHOLE.test(from as string) || !WHOLE.test(to as string)) return usage;
      return { action, from: Number(from), to: Number(to) };
    }
    case 'delete': {
      const [pos] = args;
      if (args.length !== 1 || !WHOLE.test(pos as string)) return usage;
      return { action, pos: Number(pos) };
    }
    case 'start': {
      const [pos, position, at] = args;
      if (args.length < 2 || args.length > 3 || !WHOLE.test(pos as string) || !/^\d{1,10}$/.test(position as string))
        return usage;
      if (at !== undefined && !/^\d{1,13}(\.\d{1,6})?$/.test(at)) return `${usage}: at_ms is the daemon's clock (time)`;
      return {
        action,
        pos: Number(pos),
        positionMs: Number(position),
        atMs: at === undefined ? undefined : Number(at),
      };
    }
    case 'send':
    case 'follow': {
      const [device] = args;
      const name = args.length === 1 ? deviceName(device as string) : undefined;
      if (name === undefined) return `${usage}: a device name is ${DEVICE_NAME_RULE}`;
      return action === 'send' ? { action, to: name } : { action, leader: name };
    }
    default:
      return args.length === 0 ? { action } : usage;
  }
}

/** The command as `remote <device>` takes its words (parseRemote's inverse). */
export function remoteWords(command: RemoteCommand): string[] {
  const fields = remoteFields(command);
  return fields.map(([, value]) => String(value));
}

/** The command's fields after `remote:` and `from:` in a `remotes` record; songs as `file:` lines. */
export function remoteFields(command: RemoteCommand): Field[] {
  const fields: Field[] = [['action', command.action]];
  switch (command.action) {
    case 'play':
    case 'add':
      for (const song of command.songs) fields.push(['file', song]);
      break;
    case 'seek':
      fields.push(['seconds', command.seconds]);
      break;
    case 'volume':
      fields.push(['volume', command.percent]);
      break;
    case 'move':
      fields.push(['pos', command.from], ['to', command.to]);
      break;
    case 'delete':
      fields.push(['pos', command.pos]);
      break;
    case 'start':
      fields.push(['pos', command.pos], ['position_ms', command.positionMs]);
      if (command.atMs !== undefined) fields.push(['at_ms', command.atMs.toFixed(3)]);
      break;
    case 'send':
      fields.push(['to', command.to]);
      break;
    case 'follow':
      fields.push(['leader', command.leader]);
      break;
    default:
      break;
  }
  return fields;
}

/** A received command: who sent it and what it asks. */
export interface RemoteDelivery {
  id: number;
  from: string;
  command: RemoteCommand;
}

/**
 * A `remotes` record back (its lines in order, from `remote:`), or why not: a daemon newer than
 * this player may send an action it does not know, which it skips.
 */
export function parseRemoteRecord(lines: ReadonlyArray<readonly [string, string]>): RemoteDelivery | string {
  const value = (key: string): string | undefined => lines.find(([k]) => k === key)?.[1];
  const id = Number(value('remote'));
  const from = value('from') ?? '';
  const action = value('action') ?? '';
  const files = lines.filter(([key]) => key === 'file').map(([, file]) => file);
  const words: string[] = [action];
  switch (action) {
    case 'play':
    case 'add':
      words.push(...files);
      break;
    case 'seek':
      words.push(value('seconds') ?? '');
      break;
    case 'volume':
      words.push(value('volume') ?? '');
      break;
    case 'move':
      words.push(value('pos') ?? '', value('to') ?? '');
      break;
    case 'delete':
      words.push(value('pos') ?? '');
      break;
    case 'start': {
      const at = value('at_ms');
      words.push(value('pos') ?? '', value('position_ms') ?? '', ...(at === undefined ? [] : [at]));
      break;
    }
    case 'send':
      words.push(value('to') ?? '');
      break;
    case 'follow':
      words.push(value('leader') ?? '');
      break;
    default:
      break;
  }
  const command = parseRemote(words);
  if (typeof command === 'string') return `remote command ${id} from ${from}: ${command}`;
  return { id, from, command };
}

/** A `remotes` answer's lines as its records: each a delivery, or why it is skipped. */
export function parseRemotes(lines: ReadonlyArray<readonly [string, string]>): Array<RemoteDelivery | string> {
  const records: Array<Array<readonly [string, string]>> = [];
  for (const line of lines) {
    if (line[0] === 'remote') records.push([line]);
    else records.at(-1)?.push(line);
  }
  return records.map(parseRemoteRecord);
}

/** What a player says of itself (`att player`); each part may be left out. */
export interface PlayerReport {
  volume?: number | undefined;
  queueLength?: number | undefined;
  /** Whether it does what other devices ask (`remote`). */
  control?: boolean | undefined;
  /** The queue entry playing (from 0), or null: none (stopped, or a song from outside its queue). */
  queuePos?: number | null | undefined;
}

/** `att player` words: `volume <0-100>`, `queue <n>`, `control yes|no`, `pos <n>|none`, any of them, in any order; or why not. */
export function parsePlayerReport(words: readonly string[]): PlayerReport | string {
  const usage = 'att player [volume <0-100>] [queue <length>] [control yes|no] [pos <entry>|none]';
  if (words.length === 0 || words.length % 2 !== 0) return usage;
  const report: PlayerReport = {};
  for (let i = 0; i < words.length; i += 2) {
    const key = (words[i] as string).toLowerCase();
    const value = words[i + 1] as string;
    if (key === 'volume' && /^\d{1,3}$/.test(value) && Number(value) <= 100) report.volume = Number(value);
    else if (key === 'queue' && /^\d{1,7}$/.test(value)) report.queueLength = Number(value);
    else if (key === 'control' && (value === 'yes' || value === 'no')) report.control = value === 'yes';
    else if (key === 'pos' && (value === 'none' || /^\d{1,7}$/.test(value)))
      report.queuePos = value === 'none' ? null : Number(value);
    else return usage;
  }
  return report;
}

export function formatPlayerReport(report: PlayerReport): string[] {
  const words: string[] = [];
  if (report.volume !== undefined) words.push('volume', String(report.volume));
  if (report.queueLength !== undefined) words.push('queue', String(report.queueLength));
  if (report.control !== undefined) words.push('control', report.control ? 'yes' : 'no');
  if (report.queuePos !== undefined) words.push('pos', report.queuePos === null ? 'none' : String(report.queuePos));
  return words;
}
