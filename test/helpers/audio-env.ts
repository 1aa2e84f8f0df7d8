/**
 * Real sound for tests, chosen through HOME's .asoundrc: ALSA's `file` PCM (every byte the player
 * sent, unpaced) or a private PulseAudio server with a null sink (paced in real time like a
 * desktop; `parec` records its monitor).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from './log-capture.js';

export interface FilePcm {
  home: string;
  /** Where ALSA writes the PCM the player plays. */
  output: string;
  cleanup(): void;
}

export function filePcm(): FilePcm {
  const home = mkdtempSync(path.join(os.tmpdir(), 'streamtui-alsa-'));
  const output = path.join(home, 'out.raw');
  writeFileSync(
    path.join(home, '.asoundrc'),
    `pcm.!default {\n  type file\n  slave.pcm "null"\n  file "${output}"\n  format "raw"\n}\n`,
  );
  return { home, output, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export interface PulseNullSink {
  home: string;
  env: Record<string, string>;
  /** Starts recording the sink's monitor (16-bit stereo 44.1 kHz) into a file; resolves once it records. */
  record(): Promise<Recording>;
  stop(): void;
}

export interface Recording {
  file: string;
  /** Seconds recorded so far. */
  seconds(): number;
  stop(): Promise<Buffer>;
}

/**
 * A private PulseAudio server: one null sink, its socket in a temp dir, stopped by `stop()`. With
 * `sineHz`, its default source is a sine wave of that frequency (a microphone that always speaks):
 * the monitor of a second null sink into which `pacat` plays the tone. (module-sine-source would be
 * simpler, but it hands out its samples in bursts of 2 s, which no microphone does.)
 */
/** A private PulseAudio server from `modules` (default.pa lines), its socket and ALSA default in a temp HOME. */
export async function startPulseServer(
  modules: readonly string[],
): Promise<{ home: string; env: Record<string, string>; server: ChildProcess }> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'streamtui-pulse-'));
  const socket = path.join(home, 'pulse.sock');
  const runtime = path.join(home, 'runtime');
  mkdirSync(runtime, { mode: 0o700 });
  writeFileSync(path.join(home, '.asoundrc'), 'pcm.!default { type pulse }\nctl.!default { type pulse }\n');
  const script = path.join(home, 'default.pa');
  writeFileSync(
    script,
    [...modules, `load-module module-native-protocol-unix auth-anonymous=1 socket=${socket}`].join('\n') + '\n',
  );
  const env = { HOME: home, PULSE_SERVER: `unix:${socket}`, XDG_RUNTIME_DIR: runtime };
  const server: ChildProcess = spawn(
    'pulseaudio',
    ['-n', '-F', script, '--exit-idle-time=-1', '--daemonize=no', '--use-pid-file=no', '--disable-shm=yes'],
    {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    },
  );
  await until('PulseAudio to start', () => {
    try {
      execFileSync('pactl', ['info'], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 3000 });
      return true;
    } catch {
      return undefined;
    }
  });
  return { home, env, server };
}

export async function pulseNullSink(options: { sineHz?: number } = {}): Promise<PulseNullSink> {
  const { home, env, server } = await startPulseServer([
    'load-module module-null-sink sink_name=streamtest rate=44100 channels=2',
    'set-default-sink streamtest',
    ...(options.sineHz
      ? ['load-module module-null-sink sink_name=mic rate=48000 channels=1', 'set-default-source mic.monitor']
      : []),
  ]);
  let tone: ChildProcess | undefined;
  if (options.sineHz) {
    // An hour of the tone, written in real time by pacat into the `mic` sink. Half a second held
    // in the server: a real microphone never runs dry, and with 20 ms a busy machine starved this
    // pacat, whose gaps the test then heard as the product's (680 Hz counted for 660).
    const samples = Buffer.alloc(48000 * 2);
    for (let i = 0; i < 48000; i++)
      samples.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * options.sineHz * i) / 48000)), i * 2);
    tone = spawn(
      'pacat',
      ['--playback', '-d', 'mic', '--raw', '--format=s16le', '--rate=48000', '--channels=1', '--latency-msec=500'],
      { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    const feed = tone.stdin as NodeJS.WritableStream;
    const more = (): void => {
      while (feed.write(samples)) {
        /* fill until pacat pushes back */
      }
    };
    feed.on('drain', more);
    feed.on('error', () => {});
    more();
  }
  return {
    home,
    env,
    record: () => recordSink(env, home, 'streamtest.monitor', 44100, 2),
    stop() {
      tone?.kill();
      server.kill();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * parec recording `device` (a monitor) of the server at `env` into a file in `home`, 16-bit (or
 * `format`) at `rate`; resolves once it records. The process is there to be killed with the server.
 */
export async function recordSink(
  env: Record<string, string>,
  home: string,
  device: string,
  rate: number,
  channels: number,
  format: 's16le' | 's32le' = 's16le',
): Promise<Recording & { process: ChildProcess }> {
  const file = path.join(home, `rec-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.raw`);
  const sampleBytes = format === 's32le' ? 4 : 2;
  const parec = spawn(
    'parec',
    [
      '-d',
      device,
      `--format=${format}`,
      `--rate=${rate}`,
      `--channels=${channels}`,
      '--raw',
      '--latency-msec=20',
      file,
    ],
    {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    },
  );
  const seconds = (): number => {
    try {
      return statSync(file).size / (sampleBytes * channels) / rate;
    } catch {
      return 0;
    }
  };
  // parec takes a moment to connect: until its file grows, its timeline is not the wall clock's.
  await until('parec to record', () => (seconds() >= 0.05 ? true : undefined));
  return {
    file,
    seconds,
    process: parec,
    async stop() {
      const exited = new Promise((resolve) => parec.once('exit', resolve));
      parec.kill('SIGINT');
      await exited;
      return readFileSync(file);
    },
  };
}

/** Largest absolute sample in 16-bit PCM. */
export function peak(pcm: Buffer): number {
  let max = 0;
  for (let at = 0; at + 1 < pcm.length; at += 2) max = Math.max(max, Math.abs(pcm.readInt16LE(at)));
  return max;
}

/** Loudness per 10 ms (RMS of the left channel) of 16-bit stereo 44.1 kHz PCM. */
function envelope(pcm: Buffer): Float64Array {
  const step = 441;
  const out = new Float64Array(Math.floor(pcm.length / 4 / step));
  for (let k = 0; k < out.length; k++) {
    let sum = 0;
    for (let i = 0; i < step; i++) {
      const v = pcm.readInt16LE((k * step + i) * 4);
      sum += v * v;
    }
    out[k] = Math.sqrt(sum / step);
  }
  return out;
}

/**
 * Where in `song` the snippet (at least a second of 16-bit stereo 44.1 kHz PCM) is, in seconds,
 * by matching loudness envelopes (10 ms frames) with normalized correlation: robust to a sound
 * server's gain and to the glitches a null sink's monitor records, precise to 10 ms. Returns how
 * alike the shapes are (1 = the same). Music repeats itself, so the search stays within
 * `radius` seconds of `near`.
 */
export function locate(
  song: Buffer,
  snippet: Buffer,
  near: number,
  radius = 3,
): { seconds: number; correlation: number } {
  const a = envelope(snippet);
  const b = envelope(song);
  const n = a.length;
  const mean = (v: Float64Array, from: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += v[from + i] as number;
    return sum / n;
  };
  const ma = mean(a, 0);
  let best = 0;
  let bestScore = -Infinity;
  const from = Math.max(0, Math.round((near - radius) * 100));
  const to = Math.min(b.length - n, Math.round((near + radius) * 100));
  for (let offset = from; offset <= to; offset++) {
    const mb = mean(b, offset);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      const x = (a[i] as number) - ma;
      const y = (b[offset + i] as number) - mb;
      sxy += x * y;
      sxx += x * x;
      syy += y * y;
    }
    const score = sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
    if (score > bestScore) [best, bestScore] = [offset, score];
  }
  return { seconds: best / 100, correlation: bestScore };
}

/** The frequency of a tone in 16-bit mono frames (48 kHz unless said), from its zero crossings. */
export function toneFrequency(frames: readonly Int16Array[], rate = 48000): number {
  let crossings = 0;
  let samples = 0;
  let previous: number | undefined;
  for (const frame of frames) {
    for (const sample of frame) {
      if (previous !== undefined && previous < 0 !== sample < 0) crossings++;
      previous = sample;
    }
    samples += frame.length;
  }
  return crossings / 2 / (samples / rate);
}

/**
 * The frequency of a tone heard in stretches: runs of silence (at least `gap` samples all but zero)
 * are left out, and no crossing is counted across one. For a source of this test's own making (a
 * pacat fed by the test's process) that PulseAudio fills with silence when a busy machine starves
 * it: that gap is the source's, not the recorder's.
 */
export function toneFrequencyInStretches(samples: Int16Array, rate = 48000, gap = 48, floor = 50): number {
  let crossings = 0;
  let sounding = 0;
  let quiet = 0;
  let previous: number | undefined;
  for (const sample of samples) {
    if (Math.abs(sample) < floor) {
      quiet++;
      if (quiet === gap) {
        sounding -= gap - 1; // the run so far was silence: not part of the tone
        previous = undefined;
      }
      if (quiet >= gap) continue;
    } else quiet = 0;
    sounding++;
    if (previous !== undefined && previous < 0 !== sample < 0) crossings++;
    previous = sample;
  }
  return crossings / 2 / (sounding / rate);
}

/** Root mean square of 16-bit samples. */
export function rms(frame: Int16Array): number {
  return Math.sqrt(frame.reduce((sum, value) => sum + value * value, 0) / frame.length);
}
