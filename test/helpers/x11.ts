/**
 * A private X server (Xvfb) for tests of programs that need a real window (a terminal that draws
 * pictures), and its screen read back as pixels (xwd's dump, read here).
 */
import { execFileSync, spawn } from 'node:child_process';
import { until } from './log-capture.js';

export interface XServer {
  display: string;
  stop(): void;
}

/** Xvfb on a display number it chooses (told on a descriptor of its own): no clash with another. */
export async function startXvfb(width = 1024, height = 768): Promise<XServer> {
  const server = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  let told = '';
  server.stdio[3]?.on('data', (chunk: Buffer) => (told += chunk.toString()));
  const number = await until('Xvfb to say its display', () => (/^\d+\n/.test(told) ? told.trim() : undefined), 15_000);
  return { display: `:${number}`, stop: () => server.kill() };
}

export interface Screenshot {
  width: number;
  height: number;
  /** The pixel at (x, y) as [r, g, b], 0-255. */
  rgb(x: number, y: number): [number, number, number];
}

/** The whole screen now, from `xwd -root` (a ZPixmap of 24 or 32 bits a pixel, as Xvfb gives). */
export function screenshot(display: string): Screenshot {
  const dump = execFileSync('xwd', ['-root', '-silent', '-display', display], { maxBuffer: 64 * 1024 * 1024 });
  const field = (i: number): number => dump.readUInt32BE(i * 4);
  const [headerSize, format, width, height, byteOrder, bitsPerPixel, bytesPerLine] = [
    field(0),
    field(2),
    field(4),
    field(5),
    field(7),
    field(11),
    field(12),
  ];
  const [redMask, greenMask, blueMask, colours] = [field(14), field(15), field(16), field(19)];
  if (format !== 2 || (bitsPerPixel !== 32 && bitsPerPixel !== 24))
    throw new Error(`xwd: format ${format}, ${bitsPerPixel} bits a pixel`);
  const bytes = bitsPerPixel / 8;
  const data = headerSize + colours * 12;
  const channel = (value: number, mask: number): number => {
    const shift = Math.log2(mask & -mask);
    return Math.round((((value & mask) >>> shift) * 255) / (mask >>> shift));
  };
  return {
    width,
    height,
    rgb(x, y) {
      const at = data + y * bytesPerLine + x * bytes;
      const value = byteOrder === 0 ? dump.readUIntLE(at, bytes) : dump.readUIntBE(at, bytes);
      return [channel(value, redMask), channel(value, greenMask), channel(value, blueMask)];
    },
  };
}
