/**
 * The demo library: with no music folder configured, streamd makes a few original songs on its
 * first start so that a fresh install has something to play.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { encodeMp3, encodeWav } from './encode.js';
import { id3v2Tag } from './id3-writer.js';
import { synthesize, type SongSpec } from './synth.js';

const ARTIST = 'The Demo Oscillators';
const ALBUM = 'streamd demo library';

interface DemoSong extends SongSpec {
  file: string;
  format: 'mp3' | 'wav';
}

export const DEMO_SONGS: readonly DemoSong[] = [
  {
    file: '01 Morning Ferry.mp3',
    format: 'mp3',
    title: 'Morning Ferry',
    seconds: 52,
    bpm: 104,
    root: 60,
    minor: false,
    seed: 11,
  },
  {
    file: '02 Copper Wires.mp3',
    format: 'mp3',
    title: 'Copper Wires',
    seconds: 68,
    bpm: 120,
    root: 57,
    minor: true,
    seed: 23,
  },
  {
    file: '03 Slow Orbit.mp3',
    format: 'mp3',
    title: 'Slow Orbit',
    seconds: 95,
    bpm: 84,
    root: 65,
    minor: false,
    seed: 37,
  },
  {
    file: '04 Tin Whistle.wav',
    format: 'wav',
    title: 'Tin Whistle',
    seconds: 48,
    bpm: 112,
    root: 67,
    minor: false,
    seed: 41,
  },
];

/** How far the making of the demo library is: songs written or found, of all. */
export interface DemoProgress {
  done: number;
  total: number;
}

/**
 * Writes the demo songs that are missing from `dir`; each file appears whole (temp + rename).
 * CPU-bound (seconds a song): the daemon runs it in a worker thread (makeDemoLibrary).
 * Returns the files it wrote; `onProgress` is told at the start and after each song.
 */
export async function ensureDemoLibrary(
  dir: string,
  onProgress: (progress: DemoProgress) => void = () => {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const present = new Set(await readdir(dir));
  const written: string[] = [];
  const total = DEMO_SONGS.length;
  onProgress({ done: 0, total });
  for (const [index, song] of DEMO_SONGS.entries()) {
    if (!present.has(song.file)) {
      const pcm = synthesize(song, 44100, 2);
      const bytes =
        song.format === 'mp3'
          ? Buffer.concat([
              id3v2Tag({ title: song.title, artist: ARTIST, album: ALBUM, track: String(index + 1) }),
              encodeMp3(pcm, 128),
            ])
          : encodeWav(pcm);
      const target = path.join(dir, song.file);
      await writeFile(`${target}.tmp`, bytes);
      await rename(`${target}.tmp`, target);
      written.push(song.file);
    }
    onProgress({ done: index + 1, total });
  }
  return written;
}

/**
 * ensureDemoLibrary in a worker thread: making the songs took the event loop for 15 s on a first
 * start, and every client waited. `onProgress` is told as songs are written.
 */
export function makeDemoLibrary(dir: string, onProgress: (progress: DemoProgress) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./demo-worker.js', import.meta.url), { workerData: { dir } });
    worker.on('message', (message: { progress?: DemoProgress; written?: string[]; error?: string }) => {
      if (message.progress) onProgress(message.progress);
      if (message.written) resolve(message.written);
      if (message.error !== undefined) reject(new Error(message.error));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the demo library's worker ended (exit code ${code})`)));
  });
}
