/**
 * The loudness of a library without ReplayGain tags, measured by streamd's pass (one thread at the
 * lowest priority, after the scan) beside Debian's loudgain run on each album folder (`-a`), on
 * the same files in the same run: 5 albums of 5 three-minute songs, one album per format (MP3 by
 * lame, FLAC, Vorbis by oggenc, Opus by opusenc, AAC by ffmpeg). streamd's time is the one it
 * logs; loudgain's is its wall time (it decodes on one thread, as the pass does). The largest
 * difference between the two, for track and album gains, says how far apart they are.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { records, TestClient } from '../test/helpers/client.js';
import { freePort, missingTools, spawnDaemon, table } from './lib.js';

const SONGS_PER_ALBUM = 5;
const SECONDS = 180;
const ALBUMS: Array<[format: string, extension: string, encode: (wav: string, out: string) => string[]]> = [
  ['MP3', 'mp3', (wav, out) => ['lame', '--quiet', '-V', '2', wav, out]],
  ['FLAC', 'flac', (wav, out) => ['flac', '-s', '-f', wav, '-o', out]],
  ['Vorbis', 'ogg', (wav, out) => ['oggenc', '-Q', '-q', '5', wav, '-o', out]],
  ['Opus', 'opus', (wav, out) => ['opusenc', '--quiet', '--bitrate', '128', wav, out]],
  ['AAC', 'm4a', (wav, out) => ['ffmpeg', '-loglevel', 'error', '-y', '-i', wav, '-c:a', 'aac', '-b:a', '192k', out]],
];

function library(): string {
  const dir = path.join(os.tmpdir(), `streamd-bench-loudness-${SONGS_PER_ALBUM}x${SECONDS}s`);
  if (existsSync(path.join(dir, '.complete'))) return path.join(dir, 'music');
  const building = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-building-'));
  for (const [format, extension, encode] of ALBUMS) {
    const folder = path.join(building, 'music', format);
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < SONGS_PER_ALBUM; i++) {
      // Each song its own level and movement, so that album and track gains differ.
      const wav = path.join(building, `song${i}.wav`);
      const effect = [
        ['pinknoise', 'tremolo', '0.5', '60'],
        ['brownnoise', 'tremolo', '3', '40'],
        ['sine', '110-880', 'tremolo', '1', '90'],
      ][i % 3] as string[];
      execFileSync('sox', [
        ...['-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', String(SECONDS), ...effect],
        ...['vol', String(0.1 + 0.15 * i)],
      ]);
      const [command, ...args] = encode(wav, path.join(folder, `${i + 1} Song.${extension}`));
      execFileSync(command as string, args);
      rmSync(wav);
    }
  }
  tagAlbums(path.join(building, 'music'));
  writeFileSync(path.join(building, '.complete'), '');
  renameSync(building, dir);
  return path.join(dir, 'music');
}

/** Each folder's songs get its name as their album tag (ffmpeg, stream copied): the pass measures an album's songs together, as `loudgain -a` does. */
function tagAlbums(music: string): void {
  for (const [format, extension] of ALBUMS) {
    for (let i = 0; i < SONGS_PER_ALBUM; i++) {
      const file = path.join(music, format, `${i + 1} Song.${extension}`);
      const tagged = `${file}.tagged.${extension}`;
      execFileSync('ffmpeg', [
        ...['-loglevel', 'error', '-y', '-i', file, '-map', '0:a', '-c', 'copy'],
        ...['-metadata', `album=${format} album`, '-metadata', `title=Song ${i + 1}`, tagged],
      ]);
      renameSync(tagged, file);
    }
  }
}

/** loudgain's LUFS of each file and of each album, and its wall time in seconds. */
function loudgain(music: string): { lufs: Map<string, number>; seconds: number } {
  const lufs = new Map<string, number>();
  const started = performance.now();
  for (const [format] of ALBUMS) {
    const folder = path.join(music, format);
    const files = Array.from({ length: SONGS_PER_ALBUM }, (_, i) =>
      path.join(folder, `${i + 1} Song.${ALBUMS.find(([f]) => f === format)?.[1]}`),
    );
    const out = execFileSync('loudgain', ['-q', '-O', '-a', ...files]).toString();
    for (const line of out.trim().split('\n').slice(1)) {
      const [name, value] = line.split('\t');
      lufs.set(
        name === 'Album' ? `${format}/Album` : path.relative(music, name as string),
        Number.parseFloat(value as string),
      );
    }
  }
  return { lufs, seconds: (performance.now() - started) / 1000 };
}

export async function loudnessBench(): Promise<string> {
  const missing = missingTools(['loudgain', 'sox', 'lame', 'flac', 'oggenc', 'opusenc', 'ffmpeg']);
  if (missing.length > 0) return `Not run: ${missing.join(', ')} not installed.`;
  const music = library();
  const reference = loudgain(music);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-state-'));
  const daemon = await spawnDaemon(music, stateDir, await freePort(), [], { measureLoudness: true });
  let seconds: number;
  let songs: Array<Map<string, string>>;
  try {
    const deadline = Date.now() + 600_000;
    let done: RegExpExecArray | null;
    while (!(done = /loudness of (\d+) songs without ReplayGain tags measured in ([\d.]+) s/.exec(daemon.log()))) {
      if (Date.now() > deadline) throw new Error(`no loudness measured:\n${daemon.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    seconds = Number(done[2]);
    const { client } = await TestClient.connect(daemon.port);
    await client.line('formats flac ogg opus m4a');
    songs = records(await client.line('lista'), 'song');
    client.close();
  } finally {
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  let trackDelta = 0;
  let albumDelta = 0;
  for (const song of songs) {
    const file = song.get('file') as string;
    const track = -18 - (reference.lufs.get(file) as number);
    const album = -18 - (reference.lufs.get(`${path.dirname(file)}/Album`) as number);
    trackDelta = Math.max(trackDelta, Math.abs(Number(song.get('replaygain_track_gain')) - track));
    albumDelta = Math.max(albumDelta, Math.abs(Number(song.get('replaygain_album_gain')) - album));
  }
  const audio = ALBUMS.length * SONGS_PER_ALBUM * SECONDS;
  const row = (name: string, wall: number, deltas: [string, string]): Array<string | number> => [
    name,
    wall.toFixed(1),
    `${(audio / wall).toFixed(0)}x`,
    ...deltas,
  ];
  return [
    `${songs.length} songs, ${(audio / 60).toFixed(0)} minutes of sound (${ALBUMS.map(([f]) => f).join(', ')}: an album of each).`,
    '',
    table(
      ['measured by', 'wall s', 'real time', 'largest track gain difference', 'largest album gain difference'],
      [
        row('streamd (pass after the scan, nice 19)', seconds, [
          `${trackDelta.toFixed(2)} dB`,
          `${albumDelta.toFixed(2)} dB`,
        ]),
        row('loudgain -a, each album folder', reference.seconds, ['(reference)', '(reference)']),
      ],
    ),
  ].join('\n');
}
