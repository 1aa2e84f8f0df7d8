/**
 * Nudging a stream by single frames, to follow another device's clock without an audible jump:
 * frames dropped (to catch up) or repeated (to fall back), spread evenly over a piece, at most a
 * small share of its frames. Pure.
 */

/**
 * `pcm` (interleaved 16-bit, `frameBytes` a frame) with `delta` frames repeated (delta > 0, the
 * stream falls back) or dropped (delta < 0, it catches up), spread evenly.
 *
 * @example nudgeFrames(Buffer.from([1,0, 2,0, 3,0, 4,0]), 2, -1) // frames 1, 2, 4 (the middle one, 3, dropped)
 */
export function nudgeFrames(pcm: Buffer, frameBytes: number, delta: number): Buffer {
  const frames = Math.floor(pcm.length / frameBytes);
  const count = Math.min(Math.abs(Math.round(delta)), frames);
  if (count === 0) return pcm;
  const out = Buffer.allocUnsafe((frames + Math.sign(delta) * count) * frameBytes);
  let written = 0;
  let next = 0;
  // The k-th change falls on frame floor((k + 0.5) * frames / count).
  const at = (k: number): number => Math.floor(((k + 0.5) * frames) / count);
  for (let i = 0; i < frames; i++) {
    const frame = pcm.subarray(i * frameBytes, (i + 1) * frameBytes);
    if (next < count && i === at(next)) {
      next++;
      if (delta < 0) continue; // dropped
      frame.copy(out, written); // repeated
      written += frameBytes;
    }
    frame.copy(out, written);
    written += frameBytes;
  }
  return out.subarray(0, written);
}

/** Frames to nudge in a piece of `frames`: the error's, at most `share` of the piece. */
export function nudgeFor(errorFrames: number, frames: number, share: number): number {
  const limit = Math.max(0, Math.floor(frames * share));
  return Math.max(-limit, Math.min(limit, Math.round(errorFrames)));
}
