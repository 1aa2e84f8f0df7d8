/** A seeded PRNG for random-input tests, so a failure can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, length: number, alphabet?: number[]): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    out[i] = alphabet ? (alphabet[Math.floor(rand() * alphabet.length)] as number) : Math.floor(rand() * 256);
  }
  return out;
}

/** Every way of cutting `bytes` in two, plus one byte at a time. */
export function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let at = 0; at <= bytes.length; at++) out.push([bytes.subarray(0, at), bytes.subarray(at)]);
  out.push([...bytes].map((b) => Buffer.from([b])));
  return out;
}
