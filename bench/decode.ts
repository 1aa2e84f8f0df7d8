/**
 * Decoding speed of each format, the player's decoders beside ffmpeg on the same file: seconds of
 * sound decoded per second of one core's CPU time. The player's decoder is fed the song as the
 * player feeds it (its blocks in 16 KiB pieces, after the decoder header): its own WebAssembly
 * decoder in this process, and for MP3 and 16-bit FLAC the system's program it uses when
 * installed (mpg123, flac: that process's CPU with this one's); ffmpeg (`-threads 1`, to 16-bit
 * PCM thrown away) says its own user and system time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flacBlocks, readFlacHead } from '../common/audio/flac.js';
import { scanMpeg } from '../common/audio/mpeg-frames.js';
import { oggHeaderPages, scanOgg } from '../common/audio/ogg.js';
import type { SongInfo } from '../common/protocol/records.js';
import { createDecoder, useSystemDecoders } from '../tui/audio/decoder.js';
import { nativeDecoderOf } from '../tui/audio/native-decoder.js';
import { median, missingTools, table } from './lib.js';

const SECONDS = 120;
const RUNS = 3;
const PIECE_BYTES = 16 * 1024;

interface Sample {
  name: string;
  file: string;
  song: Pick<SongInfo, 'format' | 'channels' | 'sampleRate' | 'bits'>;
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

/** CPU seconds of the children of this process that have ended (clock ticks). */
function endedChildrenSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/**
 * CPU seconds to decode the song once: by the player's own decoder, this process's; by the
 * system's program (`system`), this process's and the program's (ended when the song is).
 */
async function ours(sample: Sample, audio: Buffer, header: Buffer | undefined, system: boolean): Promise<number> {
  useSystemDecoders(system);
  const before = process.cpuUsage();
  const childrenBefore = endedChildrenSeconds();
  const decoder = await createDecoder(sample.song as SongInfo, header);
  for (let at = 0; at < audio.length; at += PIECE_BYTES) {
    const pcm = decoder.decode(audio.subarray(at, at + PIECE_BYTES));
    if (pcm instanceof Promise) await pcm;
  }
  if (decoder.end) await decoder.end();
  decoder.free();
  const used = process.cpuUsage(before);
  useSystemDecoders(true);
  return (used.user + used.system) / 1e6 + endedChildrenSeconds() - childrenBefore;
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
        song: { format: 'mp3', channels: 2, sampleRate: 44100, bits: 16 },
      },
      {
        name: 'FLAC, 16-bit 44.1 kHz (flac -5)',
        file: path.join(dir, 'cd.flac'),
        song: { format: 'flac', channels: 2, sampleRate: 44100, bits: 16 },
      },
      {
        name: 'FLAC, 24-bit 96 kHz (flac -8)',
        file: path.join(dir, 'hires.flac'),
        song: { format: 'flac', channels: 2, sampleRate: 96000, bits: 24 },
      },
      {
        name: 'Ogg Vorbis, quality 5 (oggenc), 44.1 kHz',
        file: path.join(dir, 'cd.ogg'),
        song: { format: 'ogg', channels: 2, sampleRate: 44100, bits: 16 },
      },
      {
        name: 'Ogg Opus, 128 kbit/s (opusenc), 48 kHz',
        file: path.join(dir, 'cd.opus'),
        song: { format: 'opus', channels: 2, sampleRate: 48000, bits: 16 },
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
      const program = nativeDecoderOf(sample.song as SongInfo, 16)?.[0];
      await ours(sample, audio, header, false); // the WebAssembly compiled once, as a player that has played a song
      const mine: number[] = [];
      const programs: number[] = [];
      const theirs: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        mine.push(await ours(sample, audio, header, false));
        if (program) programs.push(await ours(sample, audio, header, true));
        theirs.push(ffmpegSeconds(sample.file));
      }
      const speed = (seconds: number): string => `${Math.round(SECONDS / seconds)}x`;
      rows.push([
        sample.name,
        speed(median(mine)),
        program ? `${speed(median(programs))} (${program})` : '',
        speed(median(theirs)),
        (median(mine) / median(theirs)).toFixed(1),
        program ? (median(programs) / median(theirs)).toFixed(1) : '',
      ]);
    }
    return [
      `${SECONDS} s of a sweep over pink noise, stereo, encoded by Debian's encoders; the player's decoders, fed as it feeds them (16 KiB pieces, after the song's decoder header): its own (WebAssembly, in one Node process) and, for MP3 and 16-bit FLAC, the system's program it uses when installed (a process, its CPU with the Node process's), against ffmpeg 5 (\`-threads 1\`, to 16-bit PCM), CPU time (user + system), the median of ${RUNS} runs taking turns. Speed is seconds of sound per second of one core (target: at least 100x).`,
      '',
      table(
        [
          'file',
          'streamtui decodes (its own)',
          "streamtui decodes (the system's program)",
          'ffmpeg decodes',
          'CPU ratio (its own / ffmpeg)',
          'CPU ratio (the program / ffmpeg)',
        ],
        rows,
      ),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
