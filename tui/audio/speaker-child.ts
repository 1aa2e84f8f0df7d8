/**
 * The audio child process: the only code that loads `speaker`, because `speaker` aborts its whole
 * process when ALSA has no usable device (a worker thread does not contain that; a process does).
 *
 * The device holds up to half a second that was accepted but not yet heard (mpg123's ALSA output
 * asks for a 0.5 s buffer), so "played" is what was accepted less a model of that buffer, drained
 * in real time. Pause drops the buffer (silence at once); the player resumes from what was heard.
 *
 * Messages (IPC, advanced serialization): in `open`, `pcm` (with a generation: audio of an older
 * generation, sent before a flush, is dropped), `pause`, `resume`, `flush`, `drain`, `probe`;
 * out `played` (bytes heard in the current generation), `drained`, `probed`, `error`.
 */
import type { Writable } from 'node:stream';

type Message =
  | { type: 'open'; sampleRate: number; channels: number }
  | { type: 'pcm'; gen: number; data: Uint8Array }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'flush'; gen: number }
  | { type: 'drain' }
  | { type: 'probe' };

type SpeakerStream = Writable & { close(flush: boolean): void };

/** Written one piece at a time: the queue in this process stays ours to drop. */
const PIECE_FRAMES = 2048;
const DEVICE_BUFFER_SECONDS = 0.5;
/** Bookkeeping of the device-buffer model; the player reads the clock twice a second. */
const TICK_MS = 50;

const { default: Speaker } = await import('speaker');
let format = { sampleRate: 44100, channels: 2 };
let speaker: SpeakerStream | undefined;
let gen = 0;
let accepted = 0;
let deviceQueued = 0;
let reported = -1;
let paused = false;
let writing = false;
let draining = false;
let dropAfterWrite = false;
let lastTick = performance.now();
const queue: Buffer[] = [];

const byteRate = (): number => format.sampleRate * format.channels * 2;
const send = (message: object): void => void process.send?.(message);

function report(): void {
  const played = Math.max(0, Math.floor(accepted - deviceQueued));
  if (played === reported) return;
  reported = played;
  send({ type: 'played', gen, bytes: played });
}

function tick(): void {
  const now = performance.now();
  if (speaker && !paused) deviceQueued = Math.max(0, deviceQueued - ((now - lastTick) / 1000) * byteRate());
  lastTick = now;
  report();
}

/** Drops what the device holds and closes it: silence now. */
function drop(): void {
  if (!speaker) return;
  if (writing) {
    dropAfterWrite = true;
    return;
  }
  speaker.close(true);
  speaker = undefined;
  accepted -= deviceQueued;
  deviceQueued = 0;
}

function finishDrain(): void {
  if (!draining || writing || queue.length > 0) return;
  draining = false;
  const closing = speaker;
  speaker = undefined;
  const done = (): void => {
    deviceQueued = 0;
    report();
    send({ type: 'drained', gen });
  };
  if (!closing) return done();
  closing.once('close', done);
  closing.end(); // plays what the device holds, then closes
}

function openSpeaker(): SpeakerStream {
  const opened = new Speaker({ sampleRate: format.sampleRate, channels: format.channels, bitDepth: 16 }) as unknown as SpeakerStream;
  opened.on('error', (error: Error) => send({ type: 'error', message: error.message })); // once per device opened
  return opened;
}

function pump(): void {
  if (writing || paused || queue.length === 0) return finishDrain();
  speaker ??= openSpeaker();
  const head = queue[0] as Buffer;
  const size = Math.min(head.length, PIECE_FRAMES * format.channels * 2);
  const piece = head.subarray(0, size);
  if (size === head.length) queue.shift();
  else queue[0] = head.subarray(size);
  writing = true;
  const pieceGen = gen;
  speaker.write(piece, () => {
    writing = false;
    if (dropAfterWrite) {
      dropAfterWrite = false;
      drop();
    }
    if (pieceGen === gen && speaker) {
      accepted += piece.length;
      deviceQueued = Math.min(DEVICE_BUFFER_SECONDS * byteRate(), deviceQueued + piece.length);
      report();
    }
    pump();
  });
}

process.on('message', (message: Message) => {
  switch (message.type) {
    case 'probe': {
      const probe = new Speaker({ sampleRate: 44100, channels: 2, bitDepth: 16 }) as unknown as SpeakerStream;
      probe.write(Buffer.alloc(44100 * 4 * 0.02), () => {
        probe.close(true);
        send({ type: 'probed' });
      });
      break;
    }
    case 'open':
      drop();
      format = { sampleRate: message.sampleRate, channels: message.channels };
      break;
    case 'pcm':
      if (message.gen === gen) queue.push(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
      pump();
      break;
    case 'pause':
      paused = true;
      drop();
      report();
      break;
    case 'resume':
      paused = false;
      pump();
      break;
    case 'flush':
      gen = message.gen;
      queue.length = 0;
      drop();
      accepted = 0;
      deviceQueued = 0;
      reported = -1;
      draining = false;
      report();
      break;
    case 'drain':
      draining = true;
      pump();
      break;
  }
});
setInterval(tick, TICK_MS);
process.on('disconnect', () => process.exit(0));
