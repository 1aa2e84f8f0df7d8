/**
 * The radio as a music source: datagrams from the radio feed go through the loss meter (what the
 * network did) and the jitter buffer (what is played when), then the MP3 decoder and the output.
 * A lost frame is concealed with silence of its length; a format change (the next song is mono,
 * or 48 kHz) reopens the decoder and the sink. Emits 'changed' when what the screen shows changed.
 */
import { EventEmitter } from 'node:events';
import { parseMpegHeader } from '../../common/audio/mpeg-header.js';
import type { LossMeter } from '../../common/datagram/loss-meter.js';
import type { Datagram } from '../../common/datagram/codec.js';
import type { StreamInfo } from '../../common/datagram/messages.js';
import { createMp3Decoder, type SyncPcmDecoder } from '../audio/decoder.js';
import type { PcmFormat } from '../audio/sink.js';
import { JitterBuffer } from './jitter-buffer.js';
import type { RadioClient } from '../daemon-link/radio-client.js';
import type { MusicOutput } from './mixer.js';

/** A radio listener's datagrams and what it is told (the client's socket; `stop` sends LEAVE). */
export type RadioFeed = Pick<RadioClient, 'on' | 'removeAllListeners' | 'start' | 'stop'>;

export type RadioStatus = 'connecting' | 'buffering' | 'listening' | 'ended' | 'refused';

export interface RadioView {
  status: RadioStatus;
  /** Why it was refused or failed. */
  text?: string | undefined;
  info?: StreamInfo | undefined;
  /** Seconds into the song, as far as it was played. */
  position: number;
}

const PLAYOUT_MS = 20;
/** What a datagram that is not a frame stands for: one MPEG-1 frame (1152 samples at 44.1 kHz). */
const FRAME_MS = (1000 * 1152) / 44100;

export class RadioSource extends EventEmitter {
  private readonly buffer: JitterBuffer;
  private timer: NodeJS.Timeout | undefined;
  private decoder: SyncPcmDecoder | undefined;
  private format: PcmFormat | undefined;
  private opening: Promise<void> = Promise.resolve();
  /** INFOs waiting for their song's first frame to be played. */
  private infos: Array<{ info: StreamInfo; at: number }> = [];
  private view: RadioView = { status: 'connecting', position: 0 };
  private stopped = false;

  constructor(
    private readonly client: RadioFeed,
    private readonly output: MusicOutput,
    private readonly meter: LossMeter,
    jitterMs: number,
  ) {
    super();
    this.buffer = new JitterBuffer(jitterMs);
  }

  get state(): RadioView {
    return this.view;
  }

  async start(): Promise<void> {
    this.client.on('accept', (info: StreamInfo) => this.noteInfo(info, info.started_ms ?? 0));
    this.client.on('info', (info: StreamInfo, position: number) => this.noteInfo(info, info.started_ms ?? position));
    this.client.on('audio', (datagram: Datagram, at: number) => this.onAudio(datagram, at));
    this.client.on('reject', (text: string) => this.update({ status: 'refused', text }));
    this.client.on('failed', (text: string) => this.update({ status: 'connecting', text }));
    this.client.on('end', () => this.update({ status: 'ended', text: 'the programme is over' }));
    await this.client.start();
    if (this.stopped) return;
    this.update({ status: 'connecting' });
    this.timer = setInterval(() => this.playout(), PLAYOUT_MS);
  }

  /** Silences the radio now; resolves once the feed has said LEAVE. */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const left = this.client.stop();
    this.client.removeAllListeners();
    this.decoder?.free();
    this.decoder = undefined;
    this.output.flush();
    return left;
  }

  private update(patch: Partial<RadioView>): void {
    this.view = { ...this.view, ...patch };
    this.emit('changed', this.view);
  }

  private noteInfo(info: StreamInfo, at: number): void {
    if (this.infos.some((known) => known.at === at)) return;
    this.infos.push({ info, at });
    if (!this.view.info) this.update({ info });
  }

  private onAudio(datagram: Datagram, now: number): void {
    this.meter.receive(datagram.sequence, now, datagram.position);
    const header = parseMpegHeader(datagram.payload, 0);
    const ms = header ? (1000 * header.samples) / header.sampleRate : FRAME_MS;
    this.buffer.push(datagram.sequence, datagram.position, ms, Buffer.from(datagram.payload), now);
    if (this.view.status === 'connecting') this.update({ status: 'buffering', text: undefined });
  }

  private playout(): void {
    const now = Date.now();
    this.meter.advance(now);
    for (const item of this.buffer.pop(now)) {
      if (item.kind === 'gap') {
        this.opening = this.opening.then(() => this.silence(item.ms));
        continue;
      }
      this.opening = this.opening.then(() => this.play(item.payload, item.position));
    }
  }

  private async play(frame: Buffer, position: number): Promise<void> {
    if (this.stopped) return; // frames already chained when R was pressed
    const header = parseMpegHeader(frame, 0);
    if (!header) return this.silence(FRAME_MS); // not a frame: conceal it
    const format: PcmFormat = { sampleRate: header.sampleRate, channels: header.channels };
    if (
      !this.format ||
      this.format.sampleRate !== format.sampleRate ||
      this.format.channels !== format.channels ||
      !this.decoder
    ) {
      this.decoder?.free();
      this.decoder = undefined;
      const decoder = await createMp3Decoder(format.channels);
      if (this.stopped) return decoder.free();
      this.decoder = decoder;
      this.format = format;
      await this.output.open(format);
    }
    const pcm = this.decoder.decode(frame);
    void this.output.write(pcm);
    // The song shown is the one whose start has been played.
    let info = this.view.info;
    while (this.infos.length > 0 && (this.infos[0] as { at: number }).at <= position)
      info = (this.infos.shift() as { info: StreamInfo }).info;
    const seconds = Math.max(0, (position - (info?.started_ms ?? 0)) / 1000);
    if (
      this.view.status !== 'listening' ||
      info !== this.view.info ||
      Math.floor(seconds) !== Math.floor(this.view.position)
    ) {
      this.update({ status: 'listening', info, position: seconds, text: undefined });
    } else this.view.position = seconds;
  }

  private async silence(ms: number): Promise<void> {
    if (!this.format || this.stopped) return;
    const frames = Math.round((ms * this.format.sampleRate) / 1000);
    void this.output.write(Buffer.alloc(frames * this.format.channels * 2));
  }
}
