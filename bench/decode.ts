/**
 * Decoding speed of each format, the player's decoder beside ffmpeg on the same file: seconds of
 * sound decoded per second of one core's CPU time. The player's decoder is fed the song as the
 * player feeds it (its blocks in 16 KiB pieces, after the decoder header), in this process;
 * ffmpeg (`-threads 1`, to 16-bit PCM thrown away) says its own user and system time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flacBlocks, readFlacHead } from '../common/audio/flac.js';
import { scanMpeg } from '../common/audio/mpeg-frames.js';
import { oggHeaderPages, scanOgg } from '../common/audio/ogg.js';
import type { SongInfo } from '../common/protocol/records.js';
import { createDecoder } from '../tui/audio/decoder.js';
import { median, missingTools, table } from './lib.js';

const SECONDS = 120;
const RUNS = 3;
const PIECE_BYTES = 16 * 1024;

interface Sample {
  name: string;
  file: string;
  song: Pick<SongInfo, 'format' | 'channels' | 'sampleRate'>;
}

/** The audio bytes the daemon would serve, and the decoder header. */
async function served(sample: Sample): Promise<{ audio: Buffer; header?: Buffer }> {
  const bytes = readFileSync(sample.file);
  if (sample.song.format === 'mp3') {
    const scan = scanMpeg(bytes);
    if (!scan) throw new Error(`${sample.file}: no MPEG frames`);
    return { audio: bytes.subarray(scan.audioStart, scan.audioEnd) };
  }
  const read = async (position: number, length: number): Promise<Uint8Array> =>
    bytes.subarray(position, position + length);
  if (sample.song.format === 'ogg' || sample.song.format === 'opus') {
    const scan = await scanOgg(read, bytes.length);
    return {
      audio: bytes.subarray(scan.audioStart, scan.audioEnd),
      header: oggHeaderPages(scan.headerPackets, scan.serial),
    };
  }
  const head = await readFlacHead(read, 0, bytes.length);
  if (!head.ok) throw new Error(`${sample.file}: ${head.reason}`);
  const { blocks } = await flacBlocks(read, head.layout, bytes.length);
  const first = blocks[0]?.offset ?? head.layout.audioStart;
  return { audio: bytes.subarray(first), header: head.layout.decoderHeader };
}

/** CPU seconds of this process to decode the song once. */
async function ours(sample: Sample, audio: Buffer, header: Buffer | undefined): Promise<number> {
  const before = process.cpuUsage();
  const decoder = await createDecoder(sample.song as SongInfo, header);
  for (let at = 0; at < audio.length; at += PIECE_BYTES) {
    const pcm = decoder.decode(audio.subarray(at, at + PIECE_BYTES));
    if (pcm instanceof Promise) await pcm;
  }
  if (decoder.end) await decoder.end();
  decoder.free();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** ffmpeg's own user + system seconds for the same file (`-benchmark`). */
function ffmpegSeconds(file: string): number {
  const run = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-benchmark', '-threads', '1', '-i', file, '-f', 's16le', '-y', '/dev/null'],
    { encoding: 'utf8' },
  );
  const utime = /utime=([\d.]+)s/.exec(run.stderr)?.[1];
  const stime = /stime=([\d.]+)s/.exec(run.stderr)?.[1];
  if (run.status !== 0 || utime === undefined || stime === undefined)
    throw new Error(`ffmpeg could not decode ${file}: ${run.stderr.slice(-300)}`);
  return Number(utime) + Number(stime);
}

export async function decodeBench(): Promise<string> {
  const missing = missingTools(['ffmpeg', 'sox', 'lame', 'flac', 'oggenc', 'opusenc']);
  if (missing.length > 0)
    return `Not measured: ${missing.join(', ')} missing (apt-get install ffmpeg sox lame flac vorbis-tools opus-tools).`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'decode-bench-'));
  try {
    // Music-like sound: noise under a sweep, so that no encoder finds it easy.
    const wav = (name: string, rate: number, bits: number): string => {
      const file = path.join(dir, `${name}.wav`);
      execFileSync('sox', [
        '-n',
        '-r',
        String(rate),
        '-c',
        '2',
        '-b',
        String(bits),
        file,
        'synth',
        String(SECONDS),
        'sine',
        '100-4000',
        'pinknoise',
        'vol',
        '0.4',
      ]);
      return file;
    };
    const cd = wav('cd', 44100, 16);
    const hires = wav('hires', 96000, 24);
    const samples: Sample[] = [
      {
        name: 'MP3, 128 kbit/s CBR (lame), 44.1 kHz',
        file: path.join(dir, 'cd.mp3'),
        song: { format: 'mp3', channels: 2, sampleRate: 44100 },
      },
      {
        name: 'FLAC, 16-bit 44.1 kHz (flac -5)',
        file: path.join(dir, 'cd.flac'),
        song: { format: 'flac', channels: 2, sampleRate: 44100 },
      },
      {
        name: 'FLAC, 24-bit 96 kHz (flac -8)',
        file: path.join(dir, 'hires.flac'),
        song: { format: 'flac', channels: 2, sampleRate: 96000 },
      },
      {
        name: 'Ogg Vorbis, quality 5 (oggenc), 44.1 kHz',
        file: path.join(dir, 'cd.ogg'),
        song: { format: 'ogg', channels: 2, sampleRate: 44100 },
      },
      {
        name: 'Ogg Opus, 128 kbit/s (opusenc), 48 kHz',
        file: path.join(dir, 'cd.opus'),
        song: { format: 'opus', channels: 2, sampleRate: 48000 },
      },
    ];
    execFileSync('lame', ['--quiet', '-b', '128', cd, samples[0]?.file as string]);
    execFileSync('flac', ['-s', '-5', '-o', samples[1]?.file as string, cd]);
    execFileSync('flac', ['-s', '-8', '-o', samples[2]?.file as string, hires]);
    execFileSync('oggenc', ['-Q', '-q', '5', '-o', samples[3]?.file as string, cd]);
    execFileSync('opusenc', ['--quiet', '--bitrate', '128', cd, samples[4]?.file as string]);
    const rows: Array<Array<string | number>> = [];
    for (const sample of samples) {
      const { audio, header } = await served(sample);
      await ours(sample, audio, header); // the WebAssembly compiled once, as a player that has played a song
      const mine: number[] = [];
      const theirs: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        mine.push(await ours(sample, audio, header));
        theirs.push(ffmpegSeconds(sample.file));
      }
      const speed = (seconds: number): string => `${Math.round(SECONDS / seconds)}x`;
      rows.push([sample.name, speed(median(mine)), speed(median(theirs)), (median(mine) / median(theirs)).toFixed(1)]);
    }
    return [
      `${SECONDS} s of a sweep over pink noise, stereo, encoded by Debian's encoders; the player's decoder (WebAssembly, fed as it plays: 16 KiB pieces, after the song's decoder header) in one Node process against ffmpeg 5 (\`-threads 1\`, to 16-bit PCM), CPU time (user + system), the median of ${RUNS} runs taking turns. Speed is seconds of sound per second of one core (target: at least 100x).`,
      '',
      table(['file', 'streamtui decodes', 'ffmpeg decodes', 'CPU ratio (streamtui / ffmpeg)'], rows),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
