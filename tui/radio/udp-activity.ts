/**
 * The player's UDP side, apart from the app's wiring: the radio's socket (on and off; playback
 * plays what it brings), the downloader for `--transport udp`, and the loss meters behind the
 * network panel's chart and the quit summary.
 */
import { LossMeter, lossPercent, type LossCounts } from '../../common/datagram/loss-meter.js';
import { RadioClient } from '../daemon-link/radio-client.js';
import type { UdpDownloader } from '../daemon-link/udp-downloader.js';
import type { UdpStats } from '../state/model.js';

export interface UdpActivityDeps {
  host: string;
  udpPort: number;
  deviceName: string;
  jitterMs: number;
  /** Songs over UDP (`--transport udp`), if so. */
  downloader: UdpDownloader | undefined;
  /** Plays the radio's datagrams (playback owns the sound); `stop` ends it and sends LEAVE. */
  playback: { listenRadio(feed: RadioClient, meter: LossMeter, jitterMs: number): void; stopRadio(): Promise<void> };
  log(text: string): void;
}

export class UdpActivity {
  /** Loss before repair of the songs fetched over UDP. */
  private readonly streamMeter = new LossMeter();
  private radio: { meter: LossMeter } | undefined;
  private readonly finished: LossCounts[] = [];

  constructor(private readonly deps: UdpActivityDeps) {
    if (deps.downloader) deps.downloader.onArrival = (sequence) => this.streamMeter.receive(sequence, Date.now());
  }

  get listening(): boolean {
    return this.radio !== undefined;
  }

  startRadio(): void {
    this.stopRadio();
    const meter = new LossMeter();
    this.radio = { meter };
    this.deps.playback.listenRadio(
      new RadioClient(this.deps.host, this.deps.udpPort, this.deps.deviceName),
      meter,
      this.deps.jitterMs,
    );
    this.deps.log(`radio: listening on ${this.deps.host}:${this.deps.udpPort}`);
  }

  /** Resolves once the radio has said LEAVE. */
  stopRadio(): Promise<void> {
    if (!this.radio) return Promise.resolve();
    const left = this.deps.playback.stopRadio();
    this.radio.meter.finish(Date.now());
    this.finished.push({ ...this.radio.meter.totals });
    this.logMeter('radio', this.radio.meter);
    this.radio = undefined;
    return left;
  }

  /** Whether the figures move: the radio is on, or the chart still holds datagrams (it scrolls them out). */
  active(): boolean {
    return this.radio !== undefined || !this.streamMeter.quiet;
  }

  /**
   * The figures for the network panel, once a second; undefined when there are none to show: before
   * any datagram came, once the radio stops, and once a minute without songs over UDP has scrolled
   * the chart flat.
   */
  stats(now = Date.now()): UdpStats | undefined {
    this.current()?.advance(now);
    const meter = this.shown();
    if (!meter) return undefined;
    return {
      source: this.radio ? 'radio' : 'stream',
      history: meter.seconds.map(lossPercent),
      loss: lossPercent(meter.recent(10)),
      totals: { ...meter.totals },
      jitterMs: this.radio ? meter.jitterMs : undefined,
    };
  }

  /** The same numbers in the log (every 10 s while datagrams come). */
  logNow(): void {
    const meter = this.current();
    if (meter) this.logMeter(this.radio ? 'radio' : 'songs', meter);
  }

  /** Everything received this run: the summary printed on quit. */
  totals(): LossCounts | undefined {
    const all = [
      ...this.finished,
      ...(this.radio ? [this.radio.meter.totals] : []),
      ...(this.streamMeter.totals.received > 0 ? [this.streamMeter.totals] : []),
    ];
    if (all.length === 0) return undefined;
    return all.reduce((sum, t) => ({
      received: sum.received + t.received,
      lost: sum.lost + t.lost,
      late: sum.late + t.late,
      duplicate: sum.duplicate + t.duplicate,
    }));
  }

  close(): Promise<void> {
    const left = this.stopRadio();
    this.streamMeter.finish(Date.now());
    this.deps.downloader?.close();
    return left;
  }

  private current(): LossMeter | undefined {
    return this.radio?.meter ?? (this.streamMeter.totals.received > 0 ? this.streamMeter : undefined);
  }

  private shown(): LossMeter | undefined {
    const meter = this.current();
    return meter === this.streamMeter && this.streamMeter.quiet ? undefined : meter;
  }

  private logMeter(what: string, meter: LossMeter): void {
    const { received, lost, late, duplicate } = meter.totals;
    const jitter = what === 'radio' ? `, jitter ${meter.jitterMs.toFixed(1)} ms` : '';
    this.deps.log(
      `udp ${what}: received ${received}, lost ${lost} (${lossPercent(meter.totals).toFixed(1)}%), late ${late}, duplicate ${duplicate}, loss last 10 s ${lossPercent(meter.recent(10)).toFixed(1)}%${jitter}`,
    );
  }
}
