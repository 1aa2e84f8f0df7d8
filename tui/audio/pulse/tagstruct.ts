/**
 * PulseAudio's tagged structures: every value of a native-protocol command is one type byte (its
 * tag) and the value, big-endian. Pure: a writer that builds a command's body, a reader that takes
 * a reply apart and throws on anything that is not the type asked for (a server's reply is
 * trusted no further than that).
 */

export const Tag = {
  string: 0x74, // 't', NUL-terminated
  stringNull: 0x4e, // 'N'
  u32: 0x4c, // 'L'
  u8: 0x42, // 'B'
  u64: 0x52, // 'R'
  s64: 0x72, // 'r'
  sampleSpec: 0x61, // 'a'
  arbitrary: 0x78, // 'x'
  booleanTrue: 0x31, // '1'
  booleanFalse: 0x30, // '0'
  timeval: 0x54, // 'T'
  usec: 0x55, // 'U'
  channelMap: 0x6d, // 'm'
  cvolume: 0x76, // 'v'
  proplist: 0x50, // 'P'
  volume: 0x56, // 'V'
  formatInfo: 0x66, // 'f'
} as const;

/** The sample formats this client plays (pa_sample_format_t). */
export const SampleFormat = { s16le: 3, s32le: 7 } as const;

export interface SampleSpec {
  format: number;
  channels: number;
  rate: number;
}

export class TagWriter {
  private readonly parts: Buffer[] = [];

  u32(value: number): this {
    const out = Buffer.alloc(5);
    out[0] = Tag.u32;
    out.writeUInt32BE(value >>> 0, 1);
    return this.push(out);
  }

  u8(value: number): this {
    return this.push(Buffer.from([Tag.u8, value & 0xff]));
  }

  bool(value: boolean): this {
    return this.push(Buffer.from([value ? Tag.booleanTrue : Tag.booleanFalse]));
  }

  /** A string, or null (PulseAudio's "no value", distinct from ""). */
  string(value: string | null): this {
    if (value === null) return this.push(Buffer.from([Tag.stringNull]));
    return this.push(Buffer.concat([Buffer.from([Tag.string]), Buffer.from(value, 'utf8'), Buffer.from([0])]));
  }

  arbitrary(data: Buffer): this {
    const head = Buffer.alloc(5);
    head[0] = Tag.arbitrary;
    head.writeUInt32BE(data.length, 1);
    return this.push(head, data);
  }

  sampleSpec(spec: SampleSpec): this {
    const out = Buffer.alloc(7);
    out[0] = Tag.sampleSpec;
    out[1] = spec.format;
    out[2] = spec.channels;
    out.writeUInt32BE(spec.rate, 3);
    return this.push(out);
  }

  channelMap(positions: readonly number[]): this {
    return this.push(Buffer.from([Tag.channelMap, positions.length, ...positions]));
  }

  cvolume(volumes: readonly number[]): this {
    const out = Buffer.alloc(2 + 4 * volumes.length);
    out[0] = Tag.cvolume;
    out[1] = volumes.length;
    volumes.forEach((volume, i) => out.writeUInt32BE(volume >>> 0, 2 + 4 * i));
    return this.push(out);
  }

  /** Properties as strings (each value sent with its NUL, as libpulse does). */
  proplist(props: Readonly<Record<string, string>>): this {
    this.push(Buffer.from([Tag.proplist]));
    for (const [key, value] of Object.entries(props)) {
      const data = Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
      this.string(key).u32(data.length).arbitrary(data);
    }
    return this.string(null);
  }

  timeval(ms: number): this {
    const out = Buffer.alloc(9);
    out[0] = Tag.timeval;
    out.writeUInt32BE(Math.floor(ms / 1000) >>> 0, 1);
    out.writeUInt32BE(Math.floor((ms % 1000) * 1000) >>> 0, 5);
    return this.push(out);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }

  private push(...parts: Buffer[]): this {
    this.parts.push(...parts);
    return this;
  }
}

export class TagReader {
  private at = 0;

  constructor(private readonly body: Buffer) {}

  get done(): boolean {
    return this.at >= this.body.length;
  }

  u32(): number {
    this.expect(Tag.u32, 4);
    const value = this.body.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  u8(): number {
    this.expect(Tag.u8, 1);
    return this.body[this.at++] as number;
  }

  bool(): boolean {
    const tag = this.body[this.at];
    if (tag !== Tag.booleanTrue && tag !== Tag.booleanFalse) throw this.wrong('boolean');
    this.at++;
    return tag === Tag.booleanTrue;
  }

  string(): string | null {
    if (this.body[this.at] === Tag.stringNull) {
      this.at++;
      return null;
    }
    this.expect(Tag.string, 0);
    const end = this.body.indexOf(0, this.at);
    if (end < 0) throw new Error('PulseAudio: a string without its end');
    const value = this.body.toString('utf8', this.at, end);
    this.at = end + 1;
    return value;
  }

  /** A 64-bit count (bytes, microseconds) as a number: exact up to 2^53, which no stream reaches. */
  u64(tag: number = Tag.u64): number {
    this.expect(tag, 8);
    const value = Number(this.body.readBigUInt64BE(this.at));
    this.at += 8;
    return value;
  }

  s64(): number {
    this.expect(Tag.s64, 8);
    const value = Number(this.body.readBigInt64BE(this.at));
    this.at += 8;
    return value;
  }

  usec(): number {
    return this.u64(Tag.usec);
  }

  /** Milliseconds. */
  timeval(): number {
    this.expect(Tag.timeval, 8);
    const ms = this.body.readUInt32BE(this.at) * 1000 + this.body.readUInt32BE(this.at + 4) / 1000;
    this.at += 8;
    return ms;
  }

  sampleSpec(): SampleSpec {
    this.expect(Tag.sampleSpec, 6);
    const spec = {
      format: this.body[this.at] as number,
      channels: this.body[this.at + 1] as number,
      rate: this.body.readUInt32BE(this.at + 2),
    };
    this.at += 6;
    return spec;
  }

  channelMap(): number[] {
    this.expect(Tag.channelMap, 1);
    const count = this.body[this.at] as number;
    this.need(1 + count);
    const positions = [...this.body.subarray(this.at + 1, this.at + 1 + count)];
    this.at += 1 + count;
    return positions;
  }

  arbitrary(): Buffer {
    this.expect(Tag.arbitrary, 4);
    const length = this.body.readUInt32BE(this.at);
    this.need(4 + length);
    const data = this.body.subarray(this.at + 4, this.at + 4 + length);
    this.at += 4 + length;
    return data;
  }

  proplist(): Map<string, Buffer> {
    this.expect(Tag.proplist, 0);
    const props = new Map<string, Buffer>();
    for (;;) {
      const key = this.string();
      if (key === null) return props;
      this.u32();
      props.set(key, this.arbitrary());
    }
  }

  /** A format info (encoding and its properties), read past: this client asks for PCM only. */
  formatInfo(): void {
    this.expect(Tag.formatInfo, 0);
    this.u8();
    this.proplist();
  }

  private expect(tag: number, bytes: number): void {
    if (this.body[this.at] !== tag) throw this.wrong(String.fromCharCode(tag));
    this.at++;
    this.need(bytes);
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.body.length) throw new Error('PulseAudio: a reply cut short');
  }

  private wrong(wanted: string): Error {
    const found = this.body[this.at];
    return new Error(
      `PulseAudio: expected ${wanted}, found ${found === undefined ? 'the end' : `tag 0x${found.toString(16)}`} at byte ${this.at}`,
    );
  }
}
