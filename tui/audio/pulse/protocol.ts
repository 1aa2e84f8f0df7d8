/**
 * PulseAudio's native protocol, the part a player needs (PipeWire's pulse server speaks it too):
 * packets framed on a byte stream, the commands that create, feed, flush, cork and time a playback
 * stream, and what the server sends unasked. Pure: bytes in, values out. Protocol version 32
 * (PulseAudio 10, 2017) is asked for, without shared memory: audio goes over the socket.
 */
import { type SampleSpec, TagReader, TagWriter } from './tagstruct.js';

export const PROTOCOL_VERSION = 32;

/** Command numbers (the order of PulseAudio's native-common.h). */
export const Command = {
  error: 0,
  reply: 2,
  createPlaybackStream: 3,
  deletePlaybackStream: 4,
  auth: 8,
  setClientName: 9,
  getPlaybackLatency: 14,
  setSinkInputVolume: 37,
  corkPlaybackStream: 41,
  flushPlaybackStream: 42,
  triggerPlaybackStream: 43,
  request: 61,
  overflow: 62,
  underflow: 63,
  playbackStreamKilled: 64,
  subscribeEvent: 66,
  setPlaybackStreamBufferAttr: 72,
  playbackStreamSuspended: 76,
  playbackStreamMoved: 78,
  started: 86,
  playbackStreamEvent: 92,
  playbackBufferAttrChanged: 94,
} as const;

/** A packet's descriptor: length, channel, offset (two words), flags; 20 bytes, big-endian. */
const DESCRIPTOR_BYTES = 20;
/** The channel of a command (audio goes on its stream's channel). */
const COMMAND_CHANNEL = 0xffffffff;
const NO_TAG = 0xffffffff;
export const NO_INDEX = 0xffffffff;
/** Larger packets are refused: a server sends this client commands, never audio. */
const MAX_PACKET_BYTES = 16 * 1024 * 1024;
/** Audio is sent in packets of at most this (libpulse's own size). */
export const MAX_AUDIO_PACKET_BYTES = 64 * 1024;

/** Full volume (pa_volume_t), for each channel. */
export const VOLUME_NORM = 0x10000;

/** A gain (a factor on the samples) as PulseAudio's volume, which is cubic (pa_sw_volume_from_linear). */
export function volumeOfGain(gain: number): number {
  return Math.round(Math.cbrt(Math.max(0, gain)) * VOLUME_NORM);
}

export function commandPacket(command: number, tag: number, args: (writer: TagWriter) => void = () => {}): Buffer {
  const writer = new TagWriter().u32(command).u32(tag);
  args(writer);
  return frame(COMMAND_CHANNEL, writer.toBuffer());
}

/** Audio for a stream's channel, written after what it holds (seek mode relative, offset 0). */
export function audioPacket(channel: number, pcm: Buffer): Buffer {
  return frame(channel, pcm);
}

function frame(channel: number, body: Buffer): Buffer {
  const head = Buffer.alloc(DESCRIPTOR_BYTES);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(channel, 4);
  return Buffer.concat([head, body]);
}

/** Cuts a byte stream into packets' bodies, keeping a partial packet for the next chunk. */
export class PacketReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The commands complete in `chunk` and what came before it; throws on a packet this client cannot take. */
  take(chunk: Buffer): TagReader[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const packets: TagReader[] = [];
    while (this.pending.length >= DESCRIPTOR_BYTES) {
      const length = this.pending.readUInt32BE(0);
      const channel = this.pending.readUInt32BE(4);
      if (length > MAX_PACKET_BYTES) throw new Error(`PulseAudio: a packet of ${length} bytes`);
      if (this.pending.length < DESCRIPTOR_BYTES + length) break;
      const body = this.pending.subarray(DESCRIPTOR_BYTES, DESCRIPTOR_BYTES + length);
      this.pending = this.pending.subarray(DESCRIPTOR_BYTES + length);
      // Audio from the server comes only to record streams, which this client has none of.
      if (channel === COMMAND_CHANNEL) packets.push(new TagReader(body));
    }
    return packets;
  }
}

/** A packet from the server: a reply (or error) to a tag, or something it says unasked. */
export type ServerMessage =
  | { kind: 'reply'; tag: number; body: TagReader }
  | { kind: 'error'; tag: number; code: number }
  | { kind: 'request'; channel: number; bytes: number }
  | { kind: 'started' | 'underflow' | 'overflow' | 'killed'; channel: number }
  | { kind: 'other'; command: number };

export function readMessage(body: TagReader): ServerMessage {
  const command = body.u32();
  const tag = body.u32();
  switch (command) {
    case Command.reply:
      return { kind: 'reply', tag, body };
    case Command.error:
      return { kind: 'error', tag, code: body.u32() };
    case Command.request:
      return { kind: 'request', channel: body.u32(), bytes: body.u32() };
    case Command.started:
      return { kind: 'started', channel: body.u32() };
    case Command.underflow:
      return { kind: 'underflow', channel: body.u32() };
    case Command.overflow:
      return { kind: 'overflow', channel: body.u32() };
    case Command.playbackStreamKilled:
      return { kind: 'killed', channel: body.u32() };
    default:
      return { kind: 'other', command };
  }
}

/** PulseAudio's error codes (pa_error_code_t) that a player may meet, for its messages. */
const ERRORS: Record<number, string> = {
  1: 'access denied',
  2: 'unknown command',
  3: 'invalid argument',
  4: 'entity exists',
  5: 'no such entity',
  6: 'connection refused',
  7: 'protocol error',
  8: 'timeout',
  9: 'no authentication key',
  10: 'internal error',
  11: 'connection terminated',
  12: 'entity killed',
  13: 'invalid server',
  15: 'bad state',
  16: 'no data',
  17: 'incompatible protocol version',
  19: 'not supported',
};

export function errorText(code: number): string {
  return ERRORS[code] ?? `error ${code}`;
}

export function authPacket(tag: number, cookie: Buffer): Buffer {
  // The version's high bits would offer shared memory; none is offered.
  return commandPacket(Command.auth, tag, (w) => w.u32(PROTOCOL_VERSION).arbitrary(cookie));
}

/** The server's protocol version, from its reply to auth. */
export function readAuthReply(body: TagReader): number {
  return body.u32() & 0xffff;
}

export function setClientNamePacket(tag: number, props: Readonly<Record<string, string>>): Buffer {
  return commandPacket(Command.setClientName, tag, (w) => w.proplist(props));
}

/** Buffering of a playback stream, in bytes (pa_buffer_attr). */
export interface BufferAttr {
  maxLength: number;
  targetLength: number;
  preBuffer: number;
  minRequest: number;
}

export interface PlaybackStreamRequest {
  spec: SampleSpec;
  buffer: BufferAttr;
  /** The sink to play to by name (null: the server's default). */
  sink: string | null;
  volume: number;
  corked: boolean;
  /** Streams of one sync id play in step and must match: each stream has its own. */
  syncId: number;
  /** tlength is the whole latency, the sink's and the queue's (else the queue's, the sink's apart). */
  adjustLatency: boolean;
  /** The sink's latency is minreq (requests come as a device's periods would). */
  earlyRequests: boolean;
  props: Readonly<Record<string, string>>;
}

/** Front left and right, or mono (pa_channel_position_t). */
const channelMapOf = (channels: number): number[] => (channels === 1 ? [0] : [1, 2]);

export function createPlaybackStreamPacket(tag: number, request: PlaybackStreamRequest): Buffer {
  const { spec, buffer } = request;
  return commandPacket(Command.createPlaybackStream, tag, (w) => {
    w.sampleSpec(spec)
      .channelMap(channelMapOf(spec.channels))
      .u32(NO_INDEX) // the sink by name, or the default
      .string(request.sink)
      .u32(buffer.maxLength)
      .bool(request.corked)
      .u32(buffer.targetLength)
      .u32(buffer.preBuffer)
      .u32(buffer.minRequest)
      .u32(request.syncId)
      .cvolume(new Array<number>(spec.channels).fill(request.volume));
    // no remap, no remix, fix format, fix rate, fix channels, no move, variable rate, muted
    for (let i = 0; i < 8; i++) w.bool(false);
    w.bool(request.adjustLatency).proplist(request.props);
    w.bool(true) // volume set
      .bool(request.earlyRequests)
      .bool(false) // muted set
      .bool(false) // don't inhibit auto suspend
      .bool(false) // fail on suspend
      .bool(false) // relative volume
      .bool(false) // passthrough
      .u8(0); // no formats: the sample spec says it
  });
}

export interface CreatedStream {
  channel: number;
  sinkInput: number;
  /** Bytes the server asks for at once. */
  requested: number;
  buffer: BufferAttr;
  sinkName: string | null;
}

export function readCreatePlaybackStreamReply(body: TagReader): CreatedStream {
  const channel = body.u32();
  const sinkInput = body.u32();
  const requested = body.u32();
  const buffer = { maxLength: body.u32(), targetLength: body.u32(), preBuffer: body.u32(), minRequest: body.u32() };
  body.sampleSpec();
  body.channelMap();
  body.u32(); // sink index
  const sinkName = body.string();
  return { channel, sinkInput, requested, buffer, sinkName };
}

/** A command on one stream whose reply is empty: delete, flush, trigger. */
export function streamPacket(command: number, tag: number, channel: number): Buffer {
  return commandPacket(command, tag, (w) => w.u32(channel));
}

export function corkPacket(tag: number, channel: number, corked: boolean): Buffer {
  return commandPacket(Command.corkPlaybackStream, tag, (w) => w.u32(channel).bool(corked));
}

export function setSinkInputVolumePacket(tag: number, sinkInput: number, volume: number, channels: number): Buffer {
  return commandPacket(Command.setSinkInputVolume, tag, (w) =>
    w.u32(sinkInput).cvolume(new Array<number>(channels).fill(volume)),
  );
}

/** New buffering for a playback stream (its latency flags as at its creation). */
export function setBufferAttrPacket(
  tag: number,
  channel: number,
  buffer: BufferAttr,
  flags: { adjustLatency: boolean; earlyRequests: boolean },
): Buffer {
  return commandPacket(Command.setPlaybackStreamBufferAttr, tag, (w) =>
    w
      .u32(channel)
      .u32(buffer.maxLength)
      .u32(buffer.targetLength)
      .u32(buffer.preBuffer)
      .u32(buffer.minRequest)
      .bool(flags.adjustLatency)
      .bool(flags.earlyRequests),
  );
}

/** The buffering the server gave, from its reply to setBufferAttrPacket (the sink's latency after it is left). */
export function readBufferAttrReply(body: TagReader): BufferAttr {
  return { maxLength: body.u32(), targetLength: body.u32(), preBuffer: body.u32(), minRequest: body.u32() };
}

export function latencyPacket(tag: number, channel: number, nowMs: number): Buffer {
  return commandPacket(Command.getPlaybackLatency, tag, (w) => w.u32(channel).timeval(nowMs));
}

/** Where a playback stream is, from the server's reply to a latency request. */
export interface StreamTiming {
  /** Microseconds from a byte leaving the stream's queue to its being heard. */
  sinkUsec: number;
  playing: boolean;
  /** Bytes ever written to the stream, and read from it by the sink (a flush moves the write index back to the read index). */
  writeIndex: number;
  readIndex: number;
  /** The server's wall clock (ms) when it answered: when the rest was true. */
  serverMs: number;
}

export function readLatencyReply(body: TagReader): StreamTiming {
  const sinkUsec = body.usec();
  body.usec(); // source latency: none for playback
  const playing = body.bool();
  body.timeval(); // our time when asked
  const serverMs = body.timeval();
  const writeIndex = body.s64();
  const readIndex = body.s64();
  return { sinkUsec, playing, writeIndex, readIndex, serverMs };
}

export { NO_TAG };
