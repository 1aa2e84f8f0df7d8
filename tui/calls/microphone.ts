/**
 * The microphone for calls: 48 kHz mono 16-bit from a child process, no native addon:
 * PulseAudio's default source through `parec`, or ALSA's default through `arecord`. `auto` takes
 * PulseAudio when a server answers (`pactl info`), else ALSA when `arecord` is there. Frames of
 * 20 ms go to `onFrame`; a child that cannot start or dies is told once through `onError`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FRAME_SAMPLES, VOICE_RATE } from '../audio/opus-codec.js';
import { answers, pulseServerAnswers } from '../audio/pulse-server.js';

export type MicChoice = 'auto' | 'pulse' | 'alsa' | 'none';

export interface Microphone {
  /** What records: 'PulseAudio (parec)' or 'ALSA (arecord)'. */
  readonly name: string;
  /** RMS of the last frame, 0-1: the call panel's level meter. */
  level(): number;
  stop(): void;
}

const FRAME_BYTES = FRAME_SAMPLES * 2;
/** Which microphone `choice` means on this machine; 'none' when there is none to be had. */
export function resolveMicrophone(choice: MicChoice, env: NodeJS.ProcessEnv = process.env): 'pulse' | 'alsa' | 'none' {
  if (choice !== 'auto') return choice;
  if (pulseServerAnswers(env)) return 'pulse';
  return answers('arecord', ['--version'], env) ? 'alsa' : 'none';
}

export function openMicrophone(
  kind: 'pulse' | 'alsa',
  onFrame: (frame: Int16Array) => void,
  onError: (text: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Microphone {
  const [command, args, name] =
    kind === 'pulse'
      ? ([
          'parec',
          ['--format=s16le', `--rate=${VOICE_RATE}`, '--channels=1', '--raw', '--latency-msec=20'],
          'PulseAudio (parec)',
        ] as const)
      : ([
          'arecord',
          ['-q', '-t', 'raw', '-f', 'S16_LE', '-r', String(VOICE_RATE), '-c', '1', '--buffer-time=40000'],
          'ALSA (arecord)',
        ] as const);
  const child: ChildProcess = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stopped = false;
  let said = false;
  let level = 0;
  let held: Buffer = Buffer.alloc(0);
  const fail = (text: string): void => {
    if (stopped || said) return;
    said = true;
    onError(`microphone (${name}): ${text}`);
  };
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
  child.on('error', (error) => fail(error.message));
  child.on('close', (code) => fail(stderr.trim().split('\n').pop() || `exited (${code})`)); // after its stderr is read
  child.stdout?.on('data', (chunk: Buffer) => {
    held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    while (held.length >= FRAME_BYTES) {
      // A copy (the frame outlives the chunk it came in), aligned for the Int16Array view.
      const frame = new Int16Array(Uint8Array.prototype.slice.call(held, 0, FRAME_BYTES).buffer);
      held = held.subarray(FRAME_BYTES);
      let sum = 0;
      for (let i = 0; i < FRAME_SAMPLES; i++) sum += (frame[i] as number) ** 2;
      level = Math.sqrt(sum / FRAME_SAMPLES) / 32768;
      onFrame(frame);
    }
  });
  return {
    name,
    level: () => level,
    stop() {
      stopped = true;
      child.kill();
    },
  };
}
