/**
 * Remote control (docs/protocol.md, Remote control): a device asks another to play, pause, seek,
 * change its volume or its queue (`remote`); the daemon checks the device takes it, names the songs
 * as its catalog does, keeps the command for it and wakes it (`idle remote`); the device takes
 * what waits (`remotes`) and does it. A player says what it is (`att player`).
 */
import { ProtocolError } from '../../common/protocol/errors.js';
import { deviceName, DEVICE_NAME_RULE } from '../../common/limits.js';
import {
  MAX_REMOTE_SONGS,
  parsePlayerReport,
  parseRemote,
  remoteFields,
  type RemoteCommand,
} from '../../common/protocol/remote.js';
import { encodeFields, okLine, printable, type Field } from '../../common/protocol/response.js';
import type { DeviceInfo } from '../../common/protocol/records.js';
import type { DeviceRegistry } from '../devices.js';
import { MAX_WAITING_REMOTES } from '../remote-inbox.js';
import type { Command } from './types.js';

/**
 * The device `target` is asked to hand its music to (`send`) or to listen along with (`follow`),
 * as the daemon names it: another device than `target`, and for a handoff one that takes remote
 * control (the sender asks it with the same commands in its own name). Checked here first, so
 * that the one who asked hears why not.
 */
function otherDevice(devices: DeviceRegistry, target: DeviceInfo, name: string, action: 'send' | 'follow'): string {
  const [purpose, itself] =
    action === 'send' ? ['send to', 'send its music to'] : ['listen along with', 'listen along with'];
  const other = devices.find(name);
  if (!other) throw new ProtocolError('not_found', `no device '${printable(name)}' to ${purpose}`);
  if (other.name === target.name)
    throw new ProtocolError('bad_argument', `'${printable(target.name)}' cannot ${itself} itself`);
  if (action === 'send' && other.control !== true)
    throw new ProtocolError(
      other.control === false ? 'permission' : 'unavailable',
      `'${printable(other.name)}' does not take remote control: no music can be sent to it`,
    );
  return other.name;
}

/** Songs not in the library (kept by the name the device gave) one device's queue holds at most. */
export const MAX_QUEUED_BY_NAME = 64;

export const remoteCommands: Command[] = [
  {
    name: 'att player',
    aliases: ['att_player'],
    minArgs: 2,
    maxArgs: 8,
    usage: 'att player [volume <0-100>] [queue <length>] [control yes|no] [pos <entry>|none]',
    summary:
      "extension (remote control): this device's volume, queue length, whether it takes remote control, and the queue entry playing",
    async run(ctx, words) {
      const report = parsePlayerReport(words);
      if (typeof report === 'string') throw new ProtocolError('bad_argument', report);
      ctx.services.devices.setPlayer(ctx.session.id, report);
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'att queue',
    aliases: ['att_queue'],
    minArgs: 1,
    maxArgs: 1 + MAX_REMOTE_SONGS,
    usage: 'att queue <offset> [<song>...]',
    summary:
      "extension (remote control): this device's queue from entry <offset> on is these songs; a longer queue is said in several lines",
    async run(ctx, [offsetWord, ...songs]) {
      if (!/^\d{1,7}$/.test(offsetWord as string))
        throw new ProtocolError('bad_argument', 'usage: att queue <offset> [<song>...] (offset: a whole number)');
      // Names become the catalog's paths: what a driver is shown, and can ask for. A song that has
      // left the library stays in the queue by its name (the player shows it so), as in a playlist.
      const files = songs.map((song) => {
        try {
          return ctx.services.catalog.find(song).info.file;
        } catch (error) {
          if (error instanceof ProtocolError && error.code === 'not_found') return song;
          throw error;
        }
      });
      // A name not in the catalog is the device's own text: so few are kept that no queue grows large by them.
      const { devices, catalog } = ctx.services;
      const device = devices.nameOf(ctx.session.id);
      const before =
        (device === undefined ? undefined : devices.queueOf(device)?.files.slice(0, Number(offsetWord))) ?? [];
      const byName = [...before, ...files].filter((file) => catalog.songAt(file) === undefined).length;
      if (byName > MAX_QUEUED_BY_NAME)
        throw new ProtocolError('bad_argument', `a queue keeps at most ${MAX_QUEUED_BY_NAME} songs not in the library`);
      const refused = devices.setQueue(ctx.session.id, Number(offsetWord), files);
      if (refused !== undefined) throw new ProtocolError('bad_argument', refused);
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'queue',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'queue <device>',
    summary: "extension (remote control): the device's queue as it last said it, a file: line per entry",
    async run(ctx, [given]) {
      const name = deviceName(given as string);
      if (name === undefined) throw new ProtocolError('bad_argument', `a device name is ${DEVICE_NAME_RULE}`);
      const device = ctx.services.devices.find(name);
      if (!device) throw new ProtocolError('not_found', `no device '${printable(name)}'`);
      const queue = ctx.services.devices.queueOf(device.name);
      if (!queue)
        throw new ProtocolError('unavailable', `'${printable(device.name)}' has not said its queue (an older player?)`);
      const fields: Field[] = [['queue_version', queue.version], ...queue.files.map((file): Field => ['file', file])];
      await ctx.out.write(encodeFields(fields) + okLine());
    },
  },
  {
    name: 'remote',
    aliases: [],
    minArgs: 2,
    maxArgs: 2 + MAX_REMOTE_SONGS,
    usage: 'remote <device> <action> [<argument>...]',
    summary:
      'extension: asks another device to play, pause, resume, stop, seek, skip, set its volume, change its queue, hand its music on or listen along',
    async run(ctx, [given, ...words]) {
      const name = deviceName(given as string);
      if (name === undefined) throw new ProtocolError('bad_argument', `a device name is ${DEVICE_NAME_RULE}`);
      const target = ctx.services.devices.find(name);
      if (!target) throw new ProtocolError('not_found', `no device '${printable(name)}'`);
      const parsed = parseRemote(words);
      if (typeof parsed === 'string') throw new ProtocolError('bad_argument', parsed);
      if (target.control === undefined)
        throw new ProtocolError(
          'unavailable',
          `'${printable(target.name)}' does not take remote control (an older player, or one that has not said 'att player control yes')`,
        );
      if (!target.control) throw new ProtocolError('permission', `'${printable(target.name)}' refuses remote control`);
      // Names become the catalog's paths here (not_found, ambiguous): the device gets songs it can ask for.
      let command: RemoteCommand = parsed;
      if (parsed.action === 'play' || parsed.action === 'add')
        command = {
          action: parsed.action,
          songs: parsed.songs.map((song) => ctx.services.catalog.find(song).info.file),
        };
      if (parsed.action === 'send')
        command = { action: 'send', to: otherDevice(ctx.services.devices, target, parsed.to, 'send') };
      if (parsed.action === 'follow')
        command = { action: 'follow', leader: otherDevice(ctx.services.devices, target, parsed.leader, 'follow') };
      const from = ctx.services.devices.nameOf(ctx.session.id) ?? '?';
      const id = ctx.services.remotes.post(target.name, from, command);
      if (id === undefined)
        throw new ProtocolError(
          'busy',
          `'${printable(target.name)}' has ${MAX_WAITING_REMOTES} remote commands it has not taken yet`,
        );
      ctx.services.changes.notify('remote', ctx.services.devices.connectionsOf(target.name));
      await ctx.out.write(encodeFields([['remote', id]]) + okLine());
    },
  },
  {
    name: 'remotes',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    usage: 'remotes',
    summary: 'extension: the remote commands waiting for this device, oldest first; taken: they wait no more',
    async run(ctx) {
      const device = ctx.services.devices.nameOf(ctx.session.id);
      const taken = device === undefined ? [] : ctx.services.remotes.take(device);
      const records = taken.map((delivery) =>
        encodeFields([['remote', delivery.id], ['from', delivery.from] as Field, ...remoteFields(delivery.command)]),
      );
      await ctx.out.write(records.join('') + okLine());
    },
  },
];
