/**
 * A call's mouth to ear on loopback, and the player's CPU during the call. One
 * PulseAudio server; erin plays into null sink `erin_out`, fred into `fred_out` (PULSE_SINK), and
 * erin's microphone is the monitor of `mic`, which this process feeds through pacat. Once a
 * second, at the same moment, a 1 kHz click goes into `mic` and a 3 kHz marker straight into
 * `fred_out` through a second pacat: in fred's recording the marker says when the click went into
 * erin's microphone, so the distance from marker to click is the latency from microphone to
 * speaker, whatever the recording's own start.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPulseServer } from '../test/helpers/audio-env.js';
import { until } from '../test/helpers/log-capture.js';
import { Tmux } from '../test/helpers/tmux.js';
import { createVoiceEncoder, FRAME_SAMPLES } from '../tui/audio/opus-codec.js';
import {
  benchLibrary,
  freePort,
  median,
  missingTools,
  spawnDaemon,
  table,
  treeOf,
  streamtuiCommand,
  usageBetween,
  usageOf,
} from './lib.js';

const CLICKS = 15;
/** baresip's PulseAudio module: Debian ships it in baresip-x11, not in baresip-core. */
const BARESIP_PULSE = '/usr/lib/baresip/modules/pulse.so';
const RATE = 48000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const tone = (hz: number, amplitude: number): Buffer => {
  const out = Buffer.alloc(960 * 2);
  for (let i = 0; i < 960; i++)
    out.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)), i * 2);
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
  const child = spawn(
    'pacat',
    ['--playback', '-d', sink, '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=1', '--latency-msec=80'],
    { env, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  child.stdin?.on('error', () => {});
  return child;
}

export async function callLatencyBench(): Promise<string> {
  // The baresip row is the target's measure: without it (a call with no sound) the ratio means nothing.
  const missing = missingTools(['baresip', 'parec']);
  if (!existsSync(BARESIP_PULSE)) missing.push(`${BARESIP_PULSE} (Debian's baresip-x11)`);
  if (missing.length > 0) return `Not run: ${missing.join(', ')} missing.`;
  const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-latency-'));
  const pulse = await startPulseServer([
    'load-module module-null-sink sink_name=erin_out rate=44100 channels=2',
    'load-module module-null-sink sink_name=fred_out rate=48000 channels=1',
    'load-module module-null-sink sink_name=mic rate=48000 channels=1',
    'load-module module-null-sink sink_name=quiet rate=48000 channels=1',
    'set-default-source mic.monitor',
  ]);
  const env = { ...process.env, ...pulse.env };
  const server = pulse.server;
  const udpPort = await freePort();
  const daemon = await spawnDaemon(benchLibrary(20, 120), path.join(work, 'state'), await freePort(), [
    '--udp-port',
    String(udpPort),
  ]);
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
    return Tmux.start(
      dir,
      [
        ...streamtuiCommand(),
        '--port',
        String(daemon.port),
        '--udp-port',
        String(udpPort),
        '--name',
        name,
        '--cache-dir',
        path.join(dir, 'cache'),
        '--audio',
        'pulse',
        '--mic',
        micChoice,
      ],
      {
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        NCURSES_NO_UTF8_ACS: '1',
        ...pulse.env,
        PULSE_SINK: sink,
      },
    );
  };
  type Usage = ReturnType<typeof usageBetween>;
  /**
   * The clicks of CLICKS seconds, as fred's speaker gave them out (its sink's recording), and the
   * CPU of both sides' processes (`trees`) meanwhile.
   */
  const listen = async (
    round: number,
    trees: { erin: number[]; fred: number[] },
  ): Promise<{ latencies: number[]; usage: { erin: Usage; fred: Usage } }> => {
    const recordingFile = path.join(work, `fred${round}.raw`);
    const latencies: number[] = [];
    const parec = spawn(
      'parec',
      [
        '-d',
        'fred_out.monitor',
        '--format=s16le',
        `--rate=${RATE}`,
        '--channels=1',
        '--raw',
        '--latency-msec=20',
        recordingFile,
      ],
      { env, stdio: 'ignore' },
    );
    try {
      await until('parec', () => (statSync(recordingFile, { throwIfNoEntry: false })?.size ?? 0) > 0 || undefined);
      const before = { erin: usageOf(trees.erin), fred: usageOf(trees.fred) };
      const t0 = performance.now();
      for (let n = 0; n < CLICKS; n++) {
        await sleep(1000);
        clickNow = true;
      }
      await sleep(1500);
      const seconds = (performance.now() - t0) / 1000;
      const usage = {
        erin: usageBetween(before.erin, usageOf(trees.erin), seconds),
        fred: usageBetween(before.fred, usageOf(trees.fred), seconds),
      };
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
      return { latencies, usage };
    } finally {
      parec.kill();
    }
  };
  /** One call from erin to fred, fred playing music under it or not: the latencies of the clicks, and both players' CPU by process. */
  const measure = async (
    round: number,
    music: boolean,
  ): Promise<{ latencies: number[]; usage: { erin: Usage; fred: Usage } }> => {
    const [erinName, fredName] = [`erin${round}`, `fred${round}`];
    const erin = player(erinName, 'erin_out', 'pulse');
    const fred = player(fredName, 'fred_out', 'none');
    try {
      if (music) {
        await fred.waitFor(/Song 0/);
        fred.keys('Enter');
        await fred.waitFor(/Playing/);
      }
      await erin.waitFor(new RegExp(` ${fredName}\\s+(idle|playing|▶)`));
      erin.keys('Tab', 'Tab', 'g'); // library, queue, devices
      const selected = new RegExp(`>[ *]${fredName}\\b`);
      for (let i = 0; i < 6 && !selected.test(erin.screen()); i++) {
        await sleep(300);
        if (!selected.test(erin.screen())) erin.keys('Down');
      }
      erin.keys('C');
      await fred.waitFor(new RegExp(`${erinName} is calling`));
      fred.keys('y');
      await fred.waitFor(new RegExp(`in call with ${erinName}`));
      await sleep(3000); // the microphone starts
      const treeNamed = (name: string): number[] =>
        treeOf(
          execFileSync('pgrep', ['-f', '--', `--name ${name} `])
            .toString()
            .trim()
            .split('\n')
            .map(Number),
        );
      return await listen(round, { erin: treeNamed(erinName), fred: treeNamed(fredName) });
    } finally {
      erin.kill();
      fred.kill();
    }
  };
  /**
   * The same call between two baresip (Debian's, a native SIP client) on loopback: Opus as the
   * player sets it up (48 kHz mono, 24 kbit/s, VoIP, FEC, DTX, complexity 10), PulseAudio in and
   * out. erin talks into `mic`; fred's microphone is the monitor of a silent sink (baresip always
   * has one), so it sends what DTX keeps of silence, as a player without a microphone does.
   */
  const baresipCall = async (round: number): Promise<{ latencies: number[]; usage: { erin: Usage; fred: Usage } }> => {
    const [erinSip, fredSip] = [await freePort(), await freePort()];
    const party = (name: string, sip: number, sink: string, source: string, dial?: number): ChildProcess => {
      const dir = path.join(work, `baresip-${name}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'config'),
        [
          `sip_listen 127.0.0.1:${sip}`,
          `audio_player pulse,${sink}`,
          `audio_source pulse,${source}`,
          `audio_alert pulse,${sink}`,
          'ausrc_srate 48000',
          'auplay_srate 48000',
          'ausrc_channels 1',
          'auplay_channels 1',
          'module_path /usr/lib/baresip/modules',
          'module opus.so',
          'module pulse.so',
          'module_tmp account.so',
          'module_app menu.so',
          'opus_bitrate 24000',
          'opus_stereo no',
          'opus_sprop_stereo no',
          'opus_inbandfec yes',
          'opus_dtx yes',
          'opus_complexity 10',
          'opus_application voip',
          'opus_packet_loss 5',
        ].join('\n') + '\n',
      );
      writeFileSync(
        path.join(dir, 'accounts'),
        `<sip:${name}@127.0.0.1:${sip}>;regint=0;answermode=auto;audio_codecs=opus/48000/2\n`,
      );
      writeFileSync(path.join(dir, 'contacts'), '');
      const dialing = dial === undefined ? [] : ['-e', `/dial sip:fred@127.0.0.1:${dial}`];
      return spawn('baresip', ['-f', dir, ...dialing], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    };
    /** Resolves when `child` says its call is up; rejects when it ends first or takes 10 s. */
    const established = (child: ChildProcess): Promise<void> =>
      new Promise((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => reject(new Error(`baresip had no call after 10 s: ${seen}`)), 10_000);
        const read = (chunk: Buffer): void => {
          seen += chunk.toString();
          if (!seen.includes('Call established')) return;
          clearTimeout(timer);
          child.stdout?.off('data', read); // what it says during the call is not kept
          child.stdout?.resume();
          resolve();
        };
        child.stdout?.on('data', read);
        child.on('exit', () => {
          clearTimeout(timer);
          reject(new Error(`baresip ended before the call: ${seen}`));
        });
      });
    // Both at once: an INVITE that reaches fred before it listens is sent again (SIP over UDP).
    const fred = party('fred', fredSip, 'fred_out', 'quiet.monitor');
    const erin = party('erin', erinSip, 'erin_out', 'mic.monitor', fredSip);
    try {
      await Promise.all([established(erin), established(fred)]);
      await sleep(3000); // as the players have
      return await listen(round, { erin: treeOf([erin.pid as number]), fred: treeOf([fred.pid as number]) });
    } finally {
      erin.kill();
      fred.kill();
    }
  };
  const rows: string[][] = [];
  const processRows: string[][] = [];
  /** Caller's and callee's CPU, % of a core: streamtui's voice alone, then baresip's. */
  const parties: Array<[number, number]> = [];
  const total = (usage: Usage): number => [...usage.values()].reduce((sum, { percent }) => sum + percent, 0);
  try {
    for (const [round, music] of [
      [1, false],
      [2, true],
      [3, undefined],
    ] as const) {
      const { latencies, usage } = music === undefined ? await baresipCall(round) : await measure(round, music);
      const sorted = [...latencies].sort((a, b) => a - b);
      const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN;
      const callee =
        music === undefined ? 'baresip 1.0.0 to baresip, voice alone' : music ? 'music under the voice' : 'voice alone';
      if (music !== true) parties.push([total(usage.erin), total(usage.fred)]);
      rows.push([
        callee,
        `${latencies.length} of ${CLICKS}`,
        `${median(latencies)} ms`,
        `${p95} ms`,
        `${sorted[0] ?? NaN} ms`,
        `${total(usage.erin).toFixed(1)}%`,
        `${total(usage.fred).toFixed(1)}%`,
      ]);
      for (const [side, used] of [
        ['caller', usage.erin],
        ['callee', usage.fred],
      ] as const) {
        for (const [command, { percent, wakeupsPerSecond }] of used)
          if (percent >= 0.05)
            processRows.push([callee, side, command, `${percent.toFixed(2)}%`, wakeupsPerSecond.toFixed(0)]);
      }
    }
  } finally {
    clearInterval(feeder);
    mic.kill();
    marker.kill();
    server.kill();
    await daemon.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(pulse.home, { recursive: true, force: true });
  }
  const encode = await encoderCost();
  const [[ourCaller, ourCallee], [theirCaller, theirCallee]] = parties as [[number, number], [number, number]];
  return `${table(['callee', 'clicks heard', 'mouth to ear, median', 'p95', 'best', 'caller CPU', 'callee CPU'], rows)}

streamtui's CPU per party against baresip's in the same call (voice alone): caller ${(ourCaller / theirCaller).toFixed(2)}x, callee ${(ourCallee / theirCallee).toFixed(2)}x (target at most 1.5x).

Where each player's CPU goes (each process with all its threads; wake-ups: voluntary context
switches a second):

${table(['callee', 'player', 'process', 'CPU, % of a core', 'wake-ups a second'], processRows)}

The encoder alone, in this process on speech-like input: ${encode.toFixed(3)} ms a 20 ms frame, ${((100 * encode) / 20).toFixed(2)}% of a core for a side that talks.

Both players play through PulseAudio (--audio pulse: its native protocol, the voice a stream of
its own beside the music's). erin calls and talks: a 1 kHz
click each second into its microphone (a null sink's monitor that hands out 20 ms at a time, as a
capture device's periods do), silence between; fred has no microphone and hears the voice alone,
then with a song playing under it (ducked). 5 ms resolution. Target: under 150 ms (ITU-T G.114),
goal under 100 ms. CPU: % of one core, each side with its children (parec), during the
call; target at most 1.5x baresip's per party (a native client's cost on the same machine: a
fixed 5% was shown out of reach here, the encoder alone taking 3.7%). baresip
runs the same call (the last row): Opus set up as the player sets it, PulseAudio in and out, erin
dialling fred's address directly; fred's baresip has the monitor of a silent sink for microphone.

Mouth to ear: each click is a talkspurt after a pause the caller's encoder kept back (DTX), so
the callee's jitter buffer fills to its depth (40 ms) for each, and the clicks of a run spread by
where that falls against the output's feeds (each 20 ms). The parts: the microphone's 20 ms, the
jitter buffer's 40, the voice stream's 30 in the server and the device's 10. baresip's default
buffers (its jitter buffer and pa_simple's) come to about 50 ms more.

CPU: the side that listens is within the target; the side that talks is not. It pays the encoder
first (the line above: libopus-wasm at complexity 10, which the loss test needs; opusscript and
the SIMD WebAssembly build of @evan/opus measure the same here, 0.73-0.76 ms a frame, a native
libopus 0.37, which is what baresip links): that alone is three quarters of baresip's whole side.
The rest is wake-ups: on this machine (a virtual machine) each costs a node process 100-300 us
against a few us for baresip's threads (800-900 a second in the table, for 4.8%).`;
}

/** Opus encoding's cost as the call sets it up (complexity 10), ms a frame, on a voice-like signal. */
async function encoderCost(): Promise<number> {
  const encoder = await createVoiceEncoder();
  const frames = Array.from({ length: 600 }, (_, f) => {
    const frame = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const t = (f * FRAME_SAMPLES + i) / RATE;
      let value = 0;
      for (let h = 1; h < 12; h++)
        value += Math.sin(2 * Math.PI * 140 * h * t * (1 + 0.05 * Math.sin(2 * Math.PI * 2 * t))) / h;
      frame[i] = Math.round(5000 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t)) * value); // syllables at 4 Hz
    }
    return frame;
  });
  for (const frame of frames.slice(0, 100)) encoder.encode(frame); // warm
  const start = performance.now();
  for (const frame of frames.slice(100)) encoder.encode(frame);
  const ms = (performance.now() - start) / 500;
  encoder.close();
  return ms;
}
