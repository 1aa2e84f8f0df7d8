/** Sample conversions shared by the player's decoders and the radio's encoder. Pure. */

/** Float sample to 16 bits, rounded half away from zero (as mpg123 does), clipped. Hot: every sample passes here. */
export function toInt16(value: number): number {
  const scaled = value * 32767;
  if (scaled >= 32767) return 32767;
  if (scaled <= -32768) return -32768;
  return scaled < 0 ? (scaled - 0.5) | 0 : (scaled + 0.5) | 0;
}
