/**
 * Opus for calls: 48 kHz mono, 20 ms frames, VoIP mode, 24 kbit/s, in-band FEC on,
 * DTX on (in silence the encoder keeps its frames but one each 400 ms, RFC 7587 3.1.3), through
 * libopus-wasm (WASM: no install script, no native build; the 0.2 line runs on Node 20).
 * It was chosen over opusscript for its API to the two things a receiver needs: decoding the FEC
 * copy a packet carries of the one before it, and concealing exactly one missing frame.
 */
import type { OpusDecoderHandle, OpusEncoderHandle } from 'libopus-wasm';

export const VOICE_RATE = 48_000;
/** Samples in one 20 ms frame at 48 kHz. */
export const FRAME_SAMPLES = 960;
export const VOICE_BITRATE = 24_000;

export interface VoiceEncoder {
  /** One frame of FRAME_SAMPLES samples in, one Opus packet out; undefined: silence, nothing to send (DTX). */
  encode(frame: Int16Array): Uint8Array | undefined;
  /** The loss the other side reports, so that the encoder spends enough on FEC. */
  setExpectedLoss(percent: number): void;
  close(): void;
}

export interface VoiceDecoder {
  decode(packet: Uint8Array): Int16Array;
  /** The frame before `next`, from the FEC copy `next` carries (concealment where it carries none). */
  decodeFec(next: Uint8Array): Int16Array;
  /** One missing frame, concealed. */
  conceal(): Int16Array;
  close(): void;
}

type Libopus = typeof import('libopus-wasm');

/** libopus is loaded when the first call rings: a player that never calls does not carry it. */
let loaded: Promise<Libopus> | undefined;
const libopus = (): Promise<Libopus> =>
  (loaded ??= import('libopus-wasm')
    .then(async (lib) => {
      await warmUp(lib);
      return lib;
    })
    .catch((error: unknown) => {
      loaded = undefined; // not loaded, or its codec would not run: the next call tries again
      throw error;
    }));

/**
 * libopus loaded and run once through a codec of its own, before a call's voice plays: V8 compiles
 * a WebAssembly function when it is first called, and the first frames of speech through the
 * encoder took 13 ms here alone and 130 ms with two players and their sound server busy, a stall
 * that ran the voice's stream dry just as the call started (its headroom then held 150 ms more
 * for 10 s). Compiled code is the module's: the call's own codec finds it done.
 */
export function prepareVoiceCodec(): Promise<void> {
  return libopus().then(() => undefined);
}

const encoderOptions = (lib: Libopus): Parameters<Libopus['createEncoder']>[0] => ({
  application: lib.Application.Voip,
  sampleRate: VOICE_RATE,
  channels: 1,
  bitrate: VOICE_BITRATE,
  fec: true,
  packetLossPercent: 5,
  frameSize: FRAME_SAMPLES,
  dtx: true,
});

async function warmUp(lib: Libopus): Promise<void> {
  const encoder = await lib.createEncoder(encoderOptions(lib));
  const decoder = await lib.createDecoder({ sampleRate: VOICE_RATE, channels: 1 });
  try {
    // Silence, then noise and a low tone (what a microphone gives: the encoder's speech and noise
    // paths), each decoded, a FEC copy and a lost frame as the receiver takes them.
    let seed = 1;
    const noise = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 16000;
    const frames = [
      new Int16Array(FRAME_SAMPLES),
      ...[0, 1, 2].map(() => Int16Array.from({ length: FRAME_SAMPLES }, noise)),
      ...[0, 1, 2].map((n) =>
        Int16Array.from(
          { length: FRAME_SAMPLES },
          (_, i) => 8000 * Math.sin((2 * Math.PI * 180 * (n * FRAME_SAMPLES + i)) / VOICE_RATE),
        ),
      ),
    ];
    for (const frame of frames) {
      const packet = encoder.encode(frame);
      if (packet.length <= 2) continue;
      decoder.decode(packet);
      decoder.decode(packet, { decodeFec: true, frameSize: FRAME_SAMPLES });
    }
    decoder.decodePacketLoss(FRAME_SAMPLES);
  } finally {
    encoder.free();
    decoder.free();
  }
}

export async function createVoiceEncoder(): Promise<VoiceEncoder> {
  const lib = await libopus();
  const encoder: OpusEncoderHandle = await lib.createEncoder(encoderOptions(lib));
  return {
    // libopus marks a frame kept back in DTX by a packet of 1 or 2 bytes (its TOC alone).
    encode: (frame) => {
      const packet = encoder.encode(frame);
      return packet.length <= 2 ? undefined : packet;
    },
    setExpectedLoss: (percent) => encoder.setPacketLossPercent(Math.max(0, Math.min(100, Math.round(percent)))),
    close: () => encoder.free(),
  };
}

export async function createVoiceDecoder(): Promise<VoiceDecoder> {
  const { createDecoder } = await libopus();
  const decoder: OpusDecoderHandle = await createDecoder({ sampleRate: VOICE_RATE, channels: 1 });
  return {
    decode: (packet) => decoder.decode(packet),
    decodeFec: (next) => decoder.decode(next, { decodeFec: true, frameSize: FRAME_SAMPLES }),
    conceal: () => decoder.decodePacketLoss(FRAME_SAMPLES),
    close: () => decoder.free(),
  };
}
