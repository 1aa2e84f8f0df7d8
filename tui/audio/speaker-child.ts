/**
 * The audio child process: the only code that loads `speaker`, because `speaker` aborts its whole
 * process when ALSA has no usable device (a worker thread does not contain that; a process does).
 *
 * Messages (IPC, advanced serialization): in `open`, `pcm` (with a generation number: audio of an
 * older generation, written before a flush, is dropped), `pause`, `resume`, `flush`; out `opened`,
 * `played` (bytes of the current generation that reached the device).
 */
import type { Writable } from 'node:stream';

type Message =
  | { type: 'open'; sampleRate: number; channels: number }
  | { type: 'pcm'; gen: number; data: Uint8Array }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'flush'; gen: number }
  | { type: 'probe' };

/** Written to the device one piece at a time, so pause takes hold within one piece (~46 ms). */
const PIECE_FRAMES = 2048;

const { default: Speaker } = await import('speaker');
let speaker: Writable | undefined;
let frameBytes = 4;
let gen = 0;
let played = 0;
let paused = false;
let writing = false;
const queue: Buffer[] = [];

function send(message: object): void {
  process.send?.(message);
}

function pump(): void {
  if (writing || paused || !speaker || queue.length === 0) return;
  const head = queue[0] as Buffer;
  const size = Math.min(head.length, PIECE_FRAMES * frameBytes);
  const piece = head.subarray(0, size);
  if (size === head.length) queue.shift();
  else queue[0] = head.subarray(size);
  writing = true;
  const pieceGen = gen;
  speaker.write(piece, () => {
    writing = false;
    if (pieceGen === gen) {
      played += piece.length;
      send({ type: 'played', gen, bytes: played });
    }
    pump();
  });
}

function open(sampleRate: number, channels: number): void {
  speaker?.end();
  frameBytes = 2 * channels;
  speaker = new Speaker({ sampleRate, channels, bitDepth: 16 }) as unknown as Writable;
  speaker.on('error', (error: Error) => send({ type: 'error', message: error.message }));
  send({ type: 'opened' });
  pump();
}

process.on('message', (message: Message) => {
  switch (message.type) {
    case 'probe': {
      const probe = new Speaker({ sampleRate: 44100, channels: 2, bitDepth: 16 }) as unknown as Writable;
      probe.write(Buffer.alloc(44100 * 4 * 0.02), () => {
        send({ type: 'probed' });
        probe.end();
      });
      break;
    }
    case 'open':
      open(message.sampleRate, message.channels);
      break;
    case 'pcm':
      if (message.gen === gen) queue.push(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
      pump();
      break;
    case 'pause':
      paused = true;
      break;
    case 'resume':
      paused = false;
      pump();
      break;
    case 'flush':
      gen = message.gen;
      played = 0;
      queue.length = 0;
      break;
  }
});
process.on('disconnect', () => process.exit(0));
