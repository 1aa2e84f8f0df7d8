/**
 * One `pacat --playback --verbose` process: raw PCM on its stdin, and PulseAudio's account of how
 * much of it has played from its stderr (PacatClock). It knows what was written to it, and from
 * its clock what it still holds: written and not yet played, wherever that waits (the pipe, pacat,
 * the server). The sink (PulseSink) decides what to write and when to swap one for another.
 *
 * A stream kept as a spare waits stopped (SIGSTOP) once connected, until it is woken to play:
 * awake, pacat -v tells its clock 20 times a second, each a wake-up of the player, of pacat and of
 * the server, for a stream that plays nothing. A stopped process sees no pipe close, so this is
 * done only where the kernel ends it with the player: pacat runs under `setpriv --pdeathsig KILL`
 * (util-linux), and without setpriv a spare waits awake.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PacatClock } from './pacat-clock.js';
import { answers } from './pulse-server.js';
import type { PcmFormat } from './sink.js';

/** What PulseAudio buffers for the stream (pacat --latency-msec). */
export const STREAM_LATENCY_MS = 40;

/**
 * Whether pacat can run with a parent-death signal, asked once (at the player's start, 2-4 ms):
 * setpriv runs with the option itself, since a util-linux older than 2.33 has setpriv without it
 * and pacat would not start at all.
 */
let parentDeathSignal: boolean | undefined;

export class PacatStream {
  readonly startedAt = performance.now();
  private readonly child: ChildProcess;
  private readonly clock = new PacatClock();
  private bytes = 0;
  /** What its clock ran ahead of what was written (silence played in an underrun). */
  private skew = 0;
  /** Its underruns seen, and what had been written at the last: a dry stream holds a rest of under a block that plays only with more. */
  private underruns = 0;
  private writtenAtUnderrun = 0;
  /** The last of what it said that was not its clock: why it failed, when it does. */
  private said = '';
  /** Asked to wait stopped once connected (a spare), and whether it is. */
  private holding = false;
  private stopped = false;

  /** @param onEnd told once it has ended, on its own or killed, with the last thing it said */
  constructor(
    readonly format: PcmFormat,
    env: NodeJS.ProcessEnv,
    onEnd: (stream: PacatStream, reason: string) => void,
  ) {
    const { sampleRate, channels } = format;
    const args = [
      '--playback',
      '--verbose',
      '--raw',
      '--format=s16le',
      `--rate=${sampleRate}`,
      `--channels=${channels}`,
      `--latency-msec=${STREAM_LATENCY_MS}`,
      '--client-name=streamtui',
      '--stream-name=streamtui',
    ];
    parentDeathSignal ??= answers('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], env);
    this.child = parentDeathSignal
      ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'pacat', ...args], { env, stdio: ['pipe', 'ignore', 'pipe'] })
      : spawn('pacat', args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      const said = this.clock.take(chunk.toString(), performance.now());
      if (said.length > 0) this.said = (this.said + said.join('\n') + '\n').slice(-500);
      this.stopIfHeld(); // connected once it tells its clock
    });
    this.child.stdin?.on('error', () => {}); // EPIPE when it died: its end says why
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      onEnd(this, this.said.trim().split('\n').pop() || reason);
    };
    this.child.on('error', (error) => end(error.message));
    // 'close', not 'exit': by then its stderr has been read, and the reason is in it.
    this.child.on('close', (code, signal) => end(`exited (${code ?? signal})`));
  }

  /** Bytes written to it. */
  get written(): number {
    return this.bytes;
  }

  /** Whether it takes a write now: it has taken all it was given before. */
  get ready(): boolean {
    const stdin = this.child.stdin;
    return Boolean(stdin && stdin.writable && stdin.writableLength === 0);
  }

  write(pcm: Buffer): void {
    this.child.stdin?.write(pcm);
    this.bytes += pcm.length;
  }

  /** Bytes written and not yet played, by its clock; undefined while it has not told its clock yet. */
  unplayed(now: number): number | undefined {
    if (!this.clock.known) return undefined;
    const byteRate = this.format.sampleRate * this.format.channels * 2;
    // Silence played in an underrun counts in PulseAudio's time, not in what was written.
    this.skew = Math.max(this.skew, Math.floor(this.clock.reportedSeconds * byteRate) - this.written);
    const played = Math.floor(this.clock.playedSeconds(now) * byteRate) - this.skew;
    if (this.clock.underruns > this.underruns) {
      this.underruns = this.clock.underruns;
      this.writtenAtUnderrun = this.written;
    }
    // Run dry with nothing written since: what it holds is that rest, as good as played.
    if (!this.clock.playing && this.underruns > 0 && this.written === this.writtenAtUnderrun) return 0;
    return this.written - Math.min(this.written, played);
  }

  /** As a spare: it waits stopped, from when it is connected (where pacat dies with the player). */
  hold(): void {
    this.holding = Boolean(parentDeathSignal);
    this.stopIfHeld();
  }

  /** To play: a stream that waited stopped goes on at once. */
  wake(): void {
    this.holding = false;
    if (!this.stopped) return;
    this.child.kill('SIGCONT');
    this.clock.heldUntil(performance.now());
    this.stopped = false;
  }

  private stopIfHeld(): void {
    if (this.holding && !this.stopped && this.clock.known) this.stopped = this.child.kill('SIGSTOP');
  }

  /** Ends it at once: what its stream held is dropped, not played out. */
  kill(): void {
    this.child.kill('SIGKILL');
  }
}
