/**
 * A Matroska stream of one audio track, written as its frames come: the smallest container that
 * carries AAC and ALAC frames to a decoder reading a pipe (ffmpeg), with the codec's configuration
 * in the track and each frame in a SimpleBlock. The segment and clusters have unknown sizes, as a
 * live stream's do. Pure.
 */

const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** An element: its ID (with its length marker, as the specification writes it) and an 8-byte size. */
function element(id: number, body: Buffer): Buffer {
  const width = id > 0xffffff ? 4 : id > 0xffff ? 3 : id > 0xff ? 2 : 1;
  const idBytes = Buffer.alloc(width);
  idBytes.writeUIntBE(id, 0, width);
  const size = Buffer.alloc(8);
  size.writeUInt32BE(body.length, 4);
  size[0] = 0x01;
  return Buffer.concat([idBytes, size, body]);
}

const uint = (id: number, value: number): Buffer => {
  const body = Buffer.alloc(8);
  body.writeBigUInt64BE(BigInt(value));
  return element(id, body);
};
const text = (id: number, value: string): Buffer => element(id, Buffer.from(value, 'utf8'));
const float = (id: number, value: number): Buffer => {
  const body = Buffer.alloc(8);
  body.writeDoubleBE(value);
  return element(id, body);
};

export interface MatroskaTrack {
  /** `A_AAC` or `A_ALAC`. */
  codecId: string;
  /** AAC's AudioSpecificConfig; ALAC's 24-byte configuration (its "magic cookie"). */
  codecPrivate: Uint8Array;
  sampleRate: number;
  channels: number;
  bits?: number;
}

/** A cluster's blocks are at most 32.767 s after its time: a new cluster every 20 s. */
const CLUSTER_MS = 20_000;

export class MatroskaWriter {
  private clusterMs = -Infinity;
  private frames = 0;

  constructor(private readonly track: MatroskaTrack) {}

  /** The EBML header, the segment's start, its info and its track. */
  head(): Buffer {
    const { track } = this;
    const ebml = element(
      0x1a45dfa3,
      Buffer.concat([
        uint(0x4286, 1),
        uint(0x42f7, 1),
        uint(0x42f2, 4),
        uint(0x42f3, 8),
        text(0x4282, 'matroska'),
        uint(0x4287, 4),
        uint(0x4285, 2),
      ]),
    );
    const info = element(0x1549a966, Buffer.concat([uint(0x2ad7b1, 1_000_000), text(0x4d80, 'streamtui')]));
    const audio = element(
      0xe1,
      Buffer.concat([
        float(0xb5, track.sampleRate),
        uint(0x9f, track.channels),
        ...(track.bits ? [uint(0x6264, track.bits)] : []),
      ]),
    );
    const entry = element(
      0xae,
      Buffer.concat([
        uint(0xd7, 1),
        uint(0x73c5, 1),
        uint(0x83, 2),
        text(0x86, track.codecId),
        element(0x63a2, Buffer.from(track.codecPrivate)),
        audio,
      ]),
    );
    return Buffer.concat([ebml, Buffer.from([0x18, 0x53, 0x80, 0x67]), UNKNOWN_SIZE, info, element(0x1654ae6b, entry)]);
  }

  /** One frame of `samples` samples, in a new cluster when the last is full. */
  frame(data: Uint8Array, samples: number): Buffer {
    const ms = Math.floor((this.frames * 1000) / this.track.sampleRate);
    this.frames += samples;
    const parts: Buffer[] = [];
    if (ms - this.clusterMs >= CLUSTER_MS) {
      this.clusterMs = ms;
      parts.push(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), UNKNOWN_SIZE, uint(0xe7, ms));
    }
    const block = Buffer.alloc(4);
    block[0] = 0x81; // track 1
    block.writeInt16BE(ms - this.clusterMs, 1);
    block[3] = 0x80; // a keyframe: every audio frame is one
    parts.push(element(0xa3, Buffer.concat([block, data])));
    return Buffer.concat(parts);
  }
}
