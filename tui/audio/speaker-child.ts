/**
 * The audio child process: the only code that loads `speaker`, because `speaker` aborts its whole
 * process when ALSA has no usable device (a worker thread does not contain that; a process does).
 *
 * The device is opened as soon as the format is known, and kept open and warm: a pause, a stop
 * or a new song drops what it holds (ALSA's drop, through speaker's native binding) but does not
 * close it, so the next sound does not wait for a new ALSA and PulseAudio stream (tens of ms). It
 * is closed when the format changes, and when a song ends (to play out what the device holds).
 *
 * The device holds up to half a second that was accepted but not yet heard (mpg123's ALSA output
 * asks for a 0.5 s buffer), so "played" is what was accepted less a model of that buffer, drained
 * in real time.
 *
 * Messages (IPC, advanced serialization): in `open`, `pcm` (with a generation: audio of an older
 * generation, sent before a flush, is dropped), `pause`, `resume`, `flush`, `drain`, `probe`;
 * out `played` (bytes heard in the current generation), `drained`, `probed`, `error`.
 */
import '../../common/runtime/exit-deadlock.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Writable } from 'node:stream';

type Message =
  | { type: 'open'; sampleRate: number; channels: number }
  | { type: 'pcm'; gen: number; data: Uint8Array }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'flush'; gen: number }
  | { type: 'drain' }
  | { type: 'probe' };

type SpeakerStream = Writable & { close(flush: boolean): void; _open(): unknown; audio_handle: unknown };
type SpeakerClass = new (format: { sampleRate: number; channels: number; bitDepth: number }) => SpeakerStream;

/** Written one piece at a time: the queue in this process stays ours to drop. */
const PIECE_FRAMES = 2048;
const FIRST_PIECE_FRAMES = 512;
const DEVICE_BUFFER_SECONDS = 0.5;
/** Bookkeeping of the device-buffer model; the player reads the clock twice a second. */
const TICK_MS = 50;

// `speaker` is optional (its native part needs a compiler and ALSA's headers): it is imported by a name
// that the compiler does not resolve, so the player builds without it; its type is what this file uses.
const SPEAKER_MODULE: string = 'speaker';
const { default: Speaker } = (await import(SPEAKER_MODULE)) as { default: SpeakerClass };
// speaker's own native binding, for `flush` (snd_pcm_drop, then prepare) on a device left open.
const speakerRequire = createRequire(createRequire(import.meta.url).resolve(SPEAKER_MODULE));
const binding = speakerRequire('bindings')({
  bindings: 'binding',
  module_root: path.dirname(speakerRequire.resolve('./package.json')),
}) as { flush(handle: unknown): void };

let format = { sampleRate: 44100, channels: 2 };
let speaker: SpeakerStream | undefined;
let gen = 0;
let accepted = 0;
let deviceQueued = 0;
let reported = -1;
let paused = false;
let writing = false;
let draining = false;
let silenceAfterWrite = false;
/** The format changed while a piece was being written: close the device once it is written. */
let reopenAfterWrite = false;
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

/** Opens the device now (not at the first write), in the current format. */
function openSpeaker(): SpeakerStream {
  const opened = new Speaker({ sampleRate: format.sampleRate, channels: format.channels, bitDepth: 16 });
  opened.on('error', (error: Error) => send({ type: 'error', message: error.message })); // once per device opened
  opened._open();
  return opened;
}

/** Drops what the device holds, keeping it open: silence now. A write in flight finishes first. */
function silence(): void {
  if (!speaker) return;
  if (writing) {
    silenceAfterWrite = true;
    return;
  }
  if (speaker.audio_handle) binding.flush(speaker.audio_handle);
  accepted -= deviceQueued;
  deviceQueued = 0;
}

function closeSpeaker(): void {
  if (!speaker) return;
  speaker.close(true);
  speaker = undefined;
  accepted -= deviceQueued;
  deviceQueued = 0;
}

/**
 * The song ended: the device plays out what it holds and closes (ALSA's drain: nothing is cut,
 * also in a file PCM), then says so. The next play opens it again.
 */
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
  closing.end();
}

function pump(): void {
  if (writing || paused || queue.length === 0) return finishDrain();
  speaker ??= openSpeaker();
  const head = queue[0] as Buffer;
  // The first piece after a flush is short: the first sound reaches the device sooner.
  const frames = accepted === 0 ? FIRST_PIECE_FRAMES : PIECE_FRAMES;
  const size = Math.min(head.length, frames * format.channels * 2);
  const piece = head.subarray(0, size);
  if (size === head.length) queue.shift();
  else queue[0] = head.subarray(size);
  writing = true;
  const pieceGen = gen;
  speaker.write(piece, () => {
    writing = false;
    if (pieceGen === gen && speaker) {
      accepted += piece.length;
      deviceQueued = Math.min(DEVICE_BUFFER_SECONDS * byteRate(), deviceQueued + piece.length);
      report();
    }
    if (silenceAfterWrite) {
      silenceAfterWrite = false;
      silence();
    }
    if (reopenAfterWrite) {
      reopenAfterWrite = false;
      closeSpeaker(); // the next piece opens it in the new format
    }
    pump();
  });
}

process.on('message', (message: Message) => {
  switch (message.type) {
    case 'probe': {
      const probe = new Speaker({ sampleRate: 44100, channels: 2, bitDepth: 16 });
      probe.write(Buffer.alloc(44100 * 4 * 0.02), () => {
        probe.close(true);
        send({ type: 'probed' });
      });
      break;
    }
    case 'open':
      if (speaker && (message.sampleRate !== format.sampleRate || message.channels !== format.channels)) {
        if (writing) reopenAfterWrite = true;
        else closeSpeaker();
      }
      format = { sampleRate: message.sampleRate, channels: message.channels };
      if (!writing) speaker ??= openSpeaker(); // warm: the first sound does not wait for the device
      break;
    case 'pcm':
      if (message.gen === gen)
        queue.push(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
      pump();
      break;
    case 'pause':
      paused = true;
      silence();
      report();
      break;
    case 'resume':
      paused = false;
      pump();
      break;
    case 'flush':
      gen = message.gen;
      queue.length = 0;
      silence();
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
