/**
 * The calls of docs/protocol.md, Calls (a device registers, is found, calls, answers, hangs up):
 * signalling over TCP. The voice itself goes through the UDP relay.
 */
import net from 'node:net';
import { DEVICE_NAME_PATTERN, DEVICE_NAME_RULE, deviceName } from '../../common/limits.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { deviceFields } from '../../common/protocol/records.js';
import { encodeFields, okLine, type Field } from '../../common/protocol/response.js';
import type { Call } from '../calls/call-registry.js';
import type { Command, CommandContext } from './types.js';
import { peerIp } from './udp-commands.js';

const ACCEPT = new Set(['yes', 'y', 'accept']);
const REJECT = new Set(['no', 'n', 'reject']);

function callId(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 0xffffffff)
    throw new ProtocolError('bad_argument', `a call id is a number, got '${text.slice(0, 20)}'`);
  return Number(text);
}

/** The name this connection's device goes by, once it has one (`hello` or `register`). */
function ownName(ctx: CommandContext): string {
  const name = ctx.services.devices.nameOf(ctx.session.id);
  if (name === undefined || !DEVICE_NAME_PATTERN.test(name))
    throw new ProtocolError('unavailable', 'register for calls first: register <name> <ip> <port>');
  return name;
}

/** A call as one party sees it: its own token, never the other's. */
export function callFields(call: Call, party: string): Field[] {
  const mine = call.caller.name.toLowerCase() === party.toLowerCase() ? call.caller : call.callee;
  const fields: Field[] = [
    ['call', call.id],
    ['from', call.caller.name],
    ['to', call.callee.name],
    ['state', call.state],
    ['started', call.started.toISOString()],
    ['token', mine.token.toString('hex')],
  ];
  if (call.reason) fields.push(['reason', call.reason]);
  if (call.ended) fields.push(['ended', call.ended.toISOString()]);
  return fields;
}

export const callCommands: Command[] = [
  {
    name: 'register',
    aliases: [],
    minArgs: 3,
    maxArgs: 3,
    usage: 'register <name> <ip> <port>',
    summary: "as hello <name>, and the device can take calls; <ip> is this connection's own address or -",
    async run(ctx, [givenName, ip, port]) {
      const name = deviceName(givenName as string);
      if (name === undefined) throw new ProtocolError('bad_argument', `a device name is ${DEVICE_NAME_RULE}`);
      if (!/^\d{1,5}$/.test(port as string) || Number(port) > 65535)
        throw new ProtocolError('bad_argument', `port must be 0-65535, got '${(port as string).slice(0, 20)}'`);
      const own = peerIp(ctx.session.address);
      const given = ip === '-' ? own : (ip as string);
      if (!net.isIP(given)) throw new ProtocolError('bad_argument', `'${given.slice(0, 40)}' is not an IP address`);
      if (given !== own)
        throw new ProtocolError('permission', `a device registers its own address (${own}), not ${given.slice(0, 40)}`);
      const refused = ctx.services.devices.refusal(ctx.session.id, name);
      if (refused) throw new ProtocolError('busy', refused);
      ctx.services.calls.register(name, { address: own, port: Number(port) });
      ctx.services.devices.rename(ctx.session.id, name);
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'get',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'get <name>',
    summary: "a device's record with calls: yes|no and its voice address when registered",
    async run(ctx, [name]) {
      const device = ctx.services.devices.find((name as string).normalize('NFC'));
      if (!device) throw new ProtocolError('not_found', `no device '${(name as string).slice(0, 64)}'`);
      const registration = ctx.services.calls.registration(device.name);
      const fields: Field[] = [...deviceFields(device), ['calls', registration ? 'yes' : 'no']];
      if (registration) fields.push(['voice', `${registration.voice.address}:${registration.voice.port}`]);
      await ctx.out.write(encodeFields(fields) + okLine());
    },
  },
  {
    name: 'disconnect',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    usage: 'disconnect <name>',
    summary: "unregisters this device from calls and closes the connection (one's own device only)",
    async run(ctx, [name]) {
      const own = ctx.services.devices.nameOf(ctx.session.id);
      if (own === undefined || own.toLowerCase() !== (name as string).toLowerCase())
        throw new ProtocolError('permission', 'a device can only disconnect itself');
      ctx.services.calls.unregister(own, new Date());
      ctx.session.closeAfterReply = true;
      await ctx.out.write(okLine('goodbye'));
    },
  },
  {
    name: 'call',
    aliases: ['convite'],
    minArgs: 1,
    maxArgs: 1,
    usage: 'call <device>',
    summary: 'rings a device registered for calls: call: <id>, then OK',
    async run(ctx, [to]) {
      const { calls, devices } = ctx.services;
      const call = calls.call(
        ownName(ctx),
        (to as string).normalize('NFC'),
        (name) => devices.find(name) !== undefined,
        new Date(),
      );
      await ctx.out.write(encodeFields([['call', call.id]]) + okLine());
    },
  },
  {
    name: 'answer',
    aliases: [],
    minArgs: 2,
    maxArgs: 2,
    usage: 'answer <id> yes|no',
    summary: 'accepts (yes, y, accept) or rejects (no, n, reject) a call ringing for this device',
    async run(ctx, [id, word]) {
      const choice = (word as string).toLowerCase();
      if (!ACCEPT.has(choice) && !REJECT.has(choice))
        throw new ProtocolError('bad_argument', `answer yes or no, not '${(word as string).slice(0, 20)}'`);
      ctx.services.calls.answer(ownName(ctx), callId(id as string), ACCEPT.has(choice), new Date());
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'hangup',
    aliases: ['encerrar'],
    minArgs: 1,
    maxArgs: 1,
    usage: 'hangup <id>',
    summary: 'ends a call of this device, ringing or active',
    async run(ctx, [id]) {
      ctx.services.calls.hangup(ownName(ctx), callId(id as string), new Date());
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'calls',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    usage: 'calls',
    summary: 'one record per call of this device (ended ones for 60 s), then OK',
    async run(ctx) {
      const name = ctx.services.devices.nameOf(ctx.session.id) ?? '';
      const records = ctx.services.calls.callsOf(name).map((call) => encodeFields(callFields(call, name)));
      await ctx.out.write(records.join('') + okLine());
    },
  },
];
