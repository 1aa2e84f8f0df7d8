/** 16-bit PCM waiting to be played: a FIFO of buffers taken from by byte count. Pure. */

export class PcmQueue {
  private pieces: Buffer[] = [];
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  push(pcm: Buffer): void {
    if (pcm.length === 0) return;
    this.pieces.push(pcm);
    this.bytes += pcm.length;
  }

  /** Up to `count` bytes from the front (fewer when fewer are queued), as one buffer. */
  take(count: number): Buffer {
    const size = Math.min(count, this.bytes);
    const head = this.pieces[0];
    if (head && head.length >= size) {
      // The common case: no copy.
      if (head.length === size) this.pieces.shift();
      else this.pieces[0] = head.subarray(size);
      this.bytes -= size;
      return head.subarray(0, size);
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const piece = this.pieces[0] as Buffer;
      const part = Math.min(piece.length, size - at);
      piece.copy(out, at, 0, part);
      at += part;
      if (part === piece.length) this.pieces.shift();
      else this.pieces[0] = piece.subarray(part);
    }
    this.bytes -= size;
    return out;
  }

  /** Drops the oldest bytes until at most `max` are left. */
  trim(max: number): void {
    if (this.bytes > max) this.take(this.bytes - max);
  }

  clear(): void {
    this.pieces = [];
    this.bytes = 0;
  }
}

/** 16-bit samples of `pcm`: a view when it is aligned (it nearly always is), else of a copy. */
function samplesOf(pcm: Buffer): Int16Array {
  const bytes = pcm.byteOffset % 2 === 0 ? pcm : Buffer.from(pcm);
  return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
}

/** A new buffer of `count` bytes and its samples (Buffer.alloc is never a shared, unaligned pool slice). */
function newPcm(count: number): [Buffer, Int16Array] {
  const out = Buffer.alloc(count & ~1);
  return [out, new Int16Array(out.buffer, out.byteOffset, out.length >> 1)];
}

/**
 * `music` and `overlay` (16-bit little-endian PCM of one format) added sample by sample, clipped:
 * as long as the longer of the two. A new buffer.
 *
 * @example addPcm(pcm(1000, 30000), pcm(500, 5000)) // pcm(1500, 32767)
 */
export function addPcm(music: Buffer, overlay: Buffer): Buffer {
  const [out, sum] = newPcm(Math.max(music.length, overlay.length));
  sum.set(samplesOf(music));
  const laid = samplesOf(overlay);
  for (let i = 0; i < laid.length; i++) {
    const value = (sum[i] as number) + (laid[i] as number);
    sum[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
  }
  return out;
}

/** `pcm` (16-bit little-endian) at `gain` (0-1), rounded; `pcm` itself when the gain is 1. */
export function scalePcm(pcm: Buffer, gain: number): Buffer {
  if (gain === 1) return pcm;
  const [out, scaled] = newPcm(pcm.length);
  const samples = samplesOf(pcm);
  for (let i = 0; i < samples.length; i++) scaled[i] = Math.round((samples[i] as number) * gain);
  return out;
}
