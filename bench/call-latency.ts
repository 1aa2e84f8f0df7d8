/**
 * A call's mouth to ear on loopback, and the player's CPU during the call (issue 10). One
 * PulseAudio server; erin plays into null sink `erin_out`, fred into `fred_out` (PULSE_SINK), and
 * erin's microphone is the monitor of `mic`, which this process feeds through pacat. Once a
 * second, at the same moment, a 1 kHz click goes into `mic` and a 3 kHz marker straight into
 * `fred_out` through a second pacat: in fred's recording the marker says when the click went into
 * erin's microphone, so the distance from marker to click is the latency from microphone to
 * speaker, whatever the recording's own start.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPulseServer } from '../test/helpers/audio-env.js';
import { until } from '../test/helpers/log-capture.js';
import { Tmux } from '../test/helpers/tmux.js';
import { benchLibrary, cpuSeconds, freePort, median, spawnDaemon, table } from './lib.js';

const STREAMTUI = fileURLToPath(new URL('../tui/cli.js', import.meta.url));
const CLICKS = 15;
const RATE = 48000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const tone = (hz: number, amplitude: number): Buffer => {
  const out = Buffer.alloc(960 * 2);
  for (let i = 0; i < 960; i++) out.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)), i * 2);
  return out;
};
const SILENCE = Buffer.alloc(960 * 2);

/** Energy of `hz` in 5 ms windows of mono 48 kHz PCM (Goertzel): one value per window. */
function band(samples: Int16Array, hz: number): Float64Array {
  const size = 240;
  const out = new Float64Array(Math.floor(samples.length / size));
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / RATE);
  for (let w = 0; w < out.length; w++) {
    let s1 = 0;
    let s2 = 0;
    for (let i = w * size; i < (w + 1) * size; i++) {
      const s0 = (samples[i] as number) + coefficient * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    out[w] = Math.sqrt(s1 * s1 + s2 * s2 - coefficient * s1 * s2) / size;
  }
  return out;
}

function pacat(env: NodeJS.ProcessEnv, sink: string): ChildProcess {
  const child = spawn('pacat', ['--playback', '-d', sink, '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=1', '--latency-msec=10'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin?.on('error', () => {});
  return child;
}

export async function callLatencyBench(): Promise<string> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-latency-'));
  const pulse = await startPulseServer([
    'load-module module-null-sink sink_name=erin_out rate=44100 channels=2',
    'load-module module-null-sink sink_name=fred_out rate=48000 channels=1',
    'load-module module-null-sink sink_name=mic rate=48000 channels=1',
    'set-default-source mic.monitor',
  ]);
  const env = { ...process.env, ...pulse.env };
  const server = pulse.server;
  const udpPort = await freePort();
  const daemon = await spawnDaemon(benchLibrary(20, 120), path.join(work, 'state'), await freePort(), ['--udp-port', String(udpPort)]);
  const mic = pacat(env, 'mic');
  const marker = pacat(env, 'fred_out');
  const CLICK = tone(1000, 24000);
  const MARK = tone(3000, 24000);
  let clickNow = false;
  const feeder = setInterval(() => {
    mic.stdin?.write(clickNow ? CLICK : SILENCE);
    marker.stdin?.write(clickNow ? MARK : SILENCE);
    clickNow = false;
  }, 20);
  const player = (name: string, sink: string, micChoice: string): Tmux => {
    const dir = mkdtempSync(path.join(work, `${name}-`));
    return Tmux.start(dir, [process.execPath, STREAMTUI, '--port', String(daemon.port), '--udp-port', String(udpPort), '--name', name, '--cache-dir', path.join(dir, 'cache'), '--audio', 'speaker', '--mic', micChoice], {
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      NCURSES_NO_UTF8_ACS: '1',
      ...pulse.env,
      PULSE_SINK: sink,
    });
  };
  const erin = player('erin', 'erin_out', 'pulse');
  const fred = player('fred', 'fred_out', 'none');
  const recordingFile = path.join(work, 'fred.raw');
  let parec: ChildProcess | undefined;
  const latencies: number[] = [];
  let cpu = { erin: NaN, fred: NaN };
  try {
    await erin.waitFor(/ fred\s+idle/);
    erin.keys('Tab', 'g');
    for (let i = 0; i < 6 && !/>[ *]fred\b/.test(erin.screen()); i++) {
      await sleep(300);
      if (!/>[ *]fred\b/.test(erin.screen())) erin.keys('Down');
    }
    erin.keys('C');
    await fred.waitFor(/erin is calling/);
    fred.keys('y');
    await fred.waitFor(/in call with erin/);
    await sleep(3000); // the microphone starts
    parec = spawn('parec', ['-d', 'fred_out.monitor', '--format=s16le', `--rate=${RATE}`, '--channels=1', '--raw', '--latency-msec=20', recordingFile], { env, stdio: 'ignore' });
    await until('parec', () => (statSync(recordingFile, { throwIfNoEntry: false })?.size ?? 0) > 0 || undefined);
    const pids = (name: string): number[] => execFileSync('pgrep', ['-f', '--', `--name ${name} `]).toString().trim().split('\n').map(Number);
    const cpuOf = (name: string): number => pids(name).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const cpu0 = { erin: cpuOf('erin'), fred: cpuOf('fred') };
    const t0 = performance.now();
    for (let n = 0; n < CLICKS; n++) {
      await sleep(1000);
      clickNow = true;
    }
    await sleep(1500);
    const seconds = (performance.now() - t0) / 1000;
    cpu = { erin: (100 * (cpuOf('erin') - cpu0.erin)) / seconds, fred: (100 * (cpuOf('fred') - cpu0.fred)) / seconds };
    parec.kill('SIGINT');
    await sleep(300);
    const bytes = readFileSync(recordingFile);
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    const marks = band(samples, 3000);
    const clicks = band(samples, 1000);
    const threshold = 3000;
    for (let w = 1; w < marks.length; w++) {
      if ((marks[w] as number) < threshold || (marks[w - 1] as number) >= threshold) continue;
      // The first window with the click's energy within 800 ms after the marker.
      for (let v = w; v < Math.min(clicks.length, w + 160); v++) {
        if ((clicks[v] as number) >= threshold) {
          latencies.push((v - w) * 5);
          break;
        }
      }
    }
  } finally {
    clearInterval(feeder);
    parec?.kill();
    erin.kill();
    fred.kill();
    mic.kill();
    marker.kill();
    server.kill();
    await daemon.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(pulse.home, { recursive: true, force: true });
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN;
  return `${table(['clicks heard', 'mouth to ear, median', 'p95', 'best', 'caller CPU', 'callee CPU'], [[`${latencies.length} of ${CLICKS}`, `${median(latencies)} ms`, `${p95} ms`, `${sorted[0] ?? NaN} ms`, `${cpu.erin.toFixed(1)}%`, `${cpu.fred.toFixed(1)}%`]])}

No music playing (the voice is played alone). 5 ms resolution. Target: under 150 ms (ITU-T G.114), goal under 100 ms; CPU (% of one core, the player and its audio child, during the call): under 5%.
The latency is steady within a run and differs between runs (ten runs on 2026-11-21: medians from
95 to 335 ms, most near 150-200): the output queue (speaker's ALSA output through the pulse plugin, 0.5 s deep)
keeps whatever fill it had when the voice began. The jitter buffer is 40 ms of it. The fix is an
output sized for calls (a pacat sink with a short --latency-msec), which key-to-sound wants too.`;
}
