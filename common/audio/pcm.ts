/** Sample conversions shared by the player's decoders and the radio's encoder. Pure. */

/** Float sample to 16 bits, rounded half away from zero (as mpg123 does), clipped. Hot: every sample passes here. */
export function toInt16(value: number): number {
  const scaled = value * 32767;
  if (scaled >= 32767) return 32767;
  if (scaled <= -32768) return -32768;
  return scaled < 0 ? (scaled - 0.5) | 0 : (scaled + 0.5) | 0;
}

/**
 * A 24-bit decoder's float sample (libFLAC's, through @wasm-audio-decoders/flac: the sample over
 * 2^23 - 1) back to its sample, exact, in the top 24 of 32 bits; clipped.
 */
export function toInt32(value: number): number {
  const scaled = value * 8388607;
  const sample = scaled >= 8388607 ? 8388607 : scaled <= -8388608 ? -8388608 : Math.round(scaled);
  return sample * 256;
}
