/**
 * Opus for calls: 48 kHz mono, 20 ms frames, VoIP mode, 24 kbit/s, in-band FEC on,
 * DTX on (in silence the encoder keeps its frames but one each 400 ms, RFC 7587 3.1.3), through
 * libopus-wasm (WASM: no install script, no native build; the 0.2 line runs on Node 20).
 * It was chosen over opusscript for its API to the two things a receiver needs: decoding the FEC
 * copy a packet carries of the one before it, and concealing exactly one missing frame.
 */
import type { OpusDecoderHandle, OpusEncoderHandle } from 'libopus-wasm';

/** libopus is loaded when the first call starts: a player that never calls does not carry it. */
const libopus = (): Promise<typeof import('libopus-wasm')> => import('libopus-wasm');

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

export async function createVoiceEncoder(): Promise<VoiceEncoder> {
  const { Application, createEncoder } = await libopus();
  const encoder: OpusEncoderHandle = await createEncoder({
    application: Application.Voip,
    sampleRate: VOICE_RATE,
    channels: 1,
    bitrate: VOICE_BITRATE,
    fec: true,
    packetLossPercent: 5,
    frameSize: FRAME_SAMPLES,
    dtx: true,
  });
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
