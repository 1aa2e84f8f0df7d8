/**
 * The demo library: with no music folder configured, streamd makes a few original songs on its
 * first start so that a fresh install has something to play.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

/**
 * Writes the demo songs that are missing from `dir`; each file appears whole (temp + rename).
 * Returns the files it wrote.
 */
export async function ensureDemoLibrary(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const present = new Set(await readdir(dir));
  const written: string[] = [];
  for (const [index, song] of DEMO_SONGS.entries()) {
    if (present.has(song.file)) continue;
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
    // Encoding is CPU-bound: let the event loop answer clients between songs.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return written;
}
