/** ID3v2 sizes: where the audio of a tagged file begins, and the syncsafe integers tags count in. */

/** A 28-bit syncsafe integer (7 bits a byte, ID3v2's sizes) at `at`. */
export function readSyncsafe(buf: Uint8Array, at: number): number {
  return (
    ((buf[at] as number) << 21) |
    ((buf[at + 1] as number) << 14) |
    ((buf[at + 2] as number) << 7) |
    (buf[at + 3] as number)
  );
}

/** `n` as a 4-byte syncsafe integer. */
export function writeSyncsafe(n: number): Buffer {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}

/** Length of the ID3v2 tag at `at` (header, body and footer), or 0 when there is none. */
export function id3v2Length(buf: Uint8Array, at = 0): number {
  if (at + 10 > buf.length) return 0;
  if (buf[at] !== 0x49 || buf[at + 1] !== 0x44 || buf[at + 2] !== 0x33) return 0; // "ID3"
  const sizeBytes = buf.subarray(at + 6, at + 10);
  if (sizeBytes.some((b) => b >= 0x80)) return 0; // sizes are syncsafe: 7 bits a byte
  const size = readSyncsafe(buf, at + 6);
  const footer = ((buf[at + 5] as number) & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/** Skips every ID3v2 tag at the start of the buffer (some taggers stack them). */
export function skipId3v2Tags(buf: Uint8Array): number {
  let at = 0;
  for (;;) {
    const length = id3v2Length(buf, at);
    if (length === 0) return at;
    at += length;
  }
}
