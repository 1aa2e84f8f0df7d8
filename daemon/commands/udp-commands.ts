/** The TCP side of UDP (docs/protocol.md, UDP): `radio`, `stream` and `resend`. */
import { parseRanges, RangeSyntaxError } from '../../common/datagram/ranges.js';
import { ProtocolError } from '../../common/protocol/errors.js';
import { songFields } from '../../common/protocol/records.js';
import { blockValue, encodeFields, okLine, type Field } from '../../common/protocol/response.js';
import { SongFile } from '../catalog/block-reader.js';
import { stateText } from '../icecast/icecast-source.js';
import type { CatalogBlock } from '../catalog/song.js';
import { PACKET_BYTES } from '../udp/stream-sender.js';
import { blockRange, findTaken } from './library-commands.js';
import type { Command, CommandContext } from './types.js';

/** The IP of `ip:port` (IPv6 addresses hold colons too; IPv4-mapped ones are given as IPv4). */
export function peerIp(address: string): string {
  const ip = address.slice(0, address.lastIndexOf(':'));
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function udpPort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new ProtocolError('bad_argument', `udp port must be 1-65535, got '${text.slice(0, 20)}'`);
  }
  return Number(text);
}

async function radio(ctx: CommandContext): Promise<void> {
  const { radio: programme, udpPort: port } = ctx.services;
  const status = programme.status();
  const fields: Field[] = [
    ['radio', status.state],
    ['stream', status.stream],
    ['udp_port', port],
    ['listeners', status.listeners],
  ];
  const song = status.slot?.song.info;
  if (song) {
    fields.push(['song', song.id], ['file', song.file]);
    if (song.title !== undefined) fields.push(['title', song.title]);
    if (song.artist !== undefined) fields.push(['artist', song.artist]);
    fields.push(['duration', song.duration.toFixed(3)], ['position', status.position.toFixed(3)]);
  }
  // Each Icecast target, a record of its own.
  for (const source of ctx.services.icecast) {
    const target = source.status();
    fields.push(
      ['icecast', target.url],
      ['icecast_state', stateText(target)],
      ['icecast_frames_dropped', target.framesDropped],
    );
  }
  await ctx.out.write(encodeFields(fields) + okLine());
}

async function stream(ctx: CommandContext, args: string[]): Promise<void> {
  const { blocks: reader, streams, udpFamily } = ctx.services;
  const song = findTaken(ctx, args[0] as string);
  const port = udpPort(args[1] as string);
  const [first, last] = blockRange([args[0] as string, ...args.slice(2)], song.blocks.length);
  const ip = peerIp(ctx.session.address);
  if ((udpFamily === 'udp4') !== !ip.includes(':'))
    throw new ProtocolError(
      'bad_argument',
      `the daemon's UDP socket is ${udpFamily === 'udp4' ? 'IPv4' : 'IPv6'}: connect over the same family`,
    );
  // The hashes let the client check each block it assembles, as a download's `block:` lines do.
  const file = await SongFile.open(song);
  const blockFields: Field[] = [];
  try {
    for (let index = first; index <= last; index++) {
      const block = song.blocks[index] as CatalogBlock;
      const sha256 = await reader.sha256(file, block);
      blockFields.push([
        'stream_block',
        blockValue({ index, start: block.start, end: block.end, bytes: block.length, sha256 }),
      ]);
    }
  } finally {
    await file.close();
  }
  const opened = await streams.open(ctx.session.id, song, first, last, { address: ip, port });
  // The connection may have closed while the file was opening: its streams were dropped already,
  // and this one (with its open file) would be left behind.
  if (ctx.signal.aborted) return streams.forget(opened);
  try {
    await ctx.out.write(
      encodeFields([
        ...songFields(song.info),
        ['stream', opened.id],
        ['token', opened.token],
        ['packets', opened.packets],
        ['packet_bytes', PACKET_BYTES],
        ['stream_bytes', opened.bytes],
        ...blockFields,
      ]) + okLine(),
    );
  } catch (error) {
    streams.forget(opened);
    throw error;
  }
  streams.begin(opened);
}

async function resend(ctx: CommandContext, args: string[]): Promise<void> {
  const id = args[0] as string;
  if (!/^\d{1,10}$/.test(id))
    throw new ProtocolError('bad_argument', `stream must be a number, got '${id.slice(0, 20)}'`);
  const { streams } = ctx.services;
  const count = streams.packetsOf(ctx.session.id, Number(id));
  let ranges;
  try {
    ranges = parseRanges(args[1] as string, count);
  } catch (error) {
    if (error instanceof RangeSyntaxError) throw new ProtocolError('bad_argument', error.message);
    throw error;
  }
  const queued = streams.resend(ctx.session.id, Number(id), ranges);
  await ctx.out.write(encodeFields([['queued', queued]]) + okLine());
}

export const udpCommands: Command[] = [
  {
    name: 'radio',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    usage: 'radio',
    summary: 'the radio programme: state, now playing, position and listener count',
    run: radio,
  },
  {
    name: 'stream',
    aliases: [],
    minArgs: 2,
    maxArgs: 4,
    usage: 'stream <song> <udp-port> [<first> [<last>]]',
    summary:
      "sends the song's blocks as UDP datagrams to this connection's IP, once that port echoes the answer's token in a KEEPALIVE",
    run: stream,
  },
  {
    name: 'resend',
    aliases: [],
    minArgs: 2,
    maxArgs: 2,
    usage: 'resend <stream-id> <ranges>',
    summary: 'sends those packets of a stream again (ranges like 5-9,12), then END',
    run: resend,
  },
];
