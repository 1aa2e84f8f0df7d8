/** `lista dispositivos`, `att status` and `hello`: the device registry (docs/protocol.md, Commands). */
import { ProtocolError } from '../../common/protocol/errors.js';
import { parsePlayback } from '../../common/protocol/playback.js';
import { deviceFields } from '../../common/protocol/records.js';
import { encodeFields, okLine, UNSAFE_TEXT } from '../../common/protocol/response.js';
import { DEVICE_NAME_RULE, deviceName, STATUS_MAX_CHARS } from '../../common/limits.js';
import type { Command } from './types.js';

/** Unicode code points, not UTF-16 units: "1-256 chars" means what a person counts. */
const charCount = (text: string): number => [...text].length;

export const deviceCommands: Command[] = [
  {
    name: 'lista dispositivos',
    aliases: ['lista_dispositivos', 'devices', '10'],
    minArgs: 0,
    maxArgs: 0,
    usage: 'lista dispositivos',
    summary: 'one record per connected device, then OK',
    async run(ctx) {
      const records = ctx.services.devices.list().map((device) => encodeFields(deviceFields(device)));
      await ctx.out.write(records.join('') + okLine());
    },
  },
  {
    name: 'att status',
    aliases: ['att_status', 'status'],
    minArgs: 1,
    maxArgs: 1,
    rest: true,
    usage: 'att status <text>',
    summary: "sets this device's status: the rest of the line, 1-256 characters",
    async run(ctx, [text]) {
      const status = text as string;
      if (UNSAFE_TEXT.test(status))
        throw new ProtocolError(
          'bad_argument',
          'status text cannot hold control characters, line separators or bidi overrides',
        );
      if (charCount(status) > STATUS_MAX_CHARS) {
        throw new ProtocolError('bad_argument', `status text is longer than ${STATUS_MAX_CHARS} characters`);
      }
      ctx.services.devices.setStatus(ctx.session.id, status, new Date());
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'att playback',
    aliases: ['att_playback'],
    minArgs: 1,
    maxArgs: 4,
    usage: 'att playback <song> <position_ms> playing|paused <at_ms> | att playback stopped',
    summary: "extension (listen along): where this device is in its song, at an instant of the daemon's clock (time)",
    async run(ctx, words) {
      if (words.length === 1 && words[0]?.toLowerCase() === 'stopped')
        ctx.services.devices.setPlayback(ctx.session.id, undefined);
      else {
        const record = parsePlayback(words);
        if (typeof record === 'string') throw new ProtocolError('bad_argument', record);
        ctx.services.devices.setPlayback(ctx.session.id, record);
      }
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'att follow',
    aliases: ['att_follow'],
    minArgs: 0,
    maxArgs: 1,
    usage: 'att follow [<device>]',
    summary: 'extension (listen along): the device this one follows; none: follows no one',
    async run(ctx, [given]) {
      const name = given === undefined ? undefined : deviceName(given);
      if (given !== undefined && name === undefined)
        throw new ProtocolError('bad_argument', `a device name is ${DEVICE_NAME_RULE}`);
      ctx.services.devices.setFollows(ctx.session.id, name);
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'hello',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'hello <name>',
    summary: `names this device: ${DEVICE_NAME_RULE}; in double quotes when it has a space`,
    async run(ctx, [given]) {
      const name = deviceName(given as string);
      if (name === undefined) throw new ProtocolError('bad_argument', `a device name is ${DEVICE_NAME_RULE}`);
      const refused = ctx.services.devices.refusal(ctx.session.id, name);
      if (refused) throw new ProtocolError('busy', refused);
      ctx.services.devices.rename(ctx.session.id, name);
      await ctx.out.write(okLine());
    },
  },
];
