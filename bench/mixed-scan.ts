/**
 * A mixed library scanned beside MPD 0.23 scanning the same folder, in the same run: 2,000 songs,
 * 400 of each format (MP3 by lame with ID3v2 tags, FLAC by flac with a seek table and Vorbis
 * comments, Ogg Vorbis by oggenc, Opus by opusenc, M4A (AAC) by ffmpeg), cold (no catalog or
 * database kept), files in the page cache. streamd's time is what it logs; MPD's is from its start
 * to `mpc update --wait` returning on an empty database (its start alone is measured apart and
 * taken off). RSS of each daemon after the scan.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchLibrary, freePort, median, missingTools, rssMiB, spawnDaemon, table } from './lib.js';
import { startMpd } from './mpd.js';

const RUNS = 3;
const PER_FORMAT = 400;

/** How each format other than MP3 is made from the source WAV, tagged. */
const ENCODERS: Array<[folder: string, extension: string, encode: (wav: string, out: string) => string[]]> = [
  ['flac', 'flac', (wav, out) => ['flac', '-s', '-T', 'TITLE=Bench', '-T', 'ARTIST=Flac', '-o', out, wav]],
  ['vorbis', 'ogg', (wav, out) => ['oggenc', '-Q', '-t', 'Bench', '-a', 'Vorbis', '-o', out, wav]],
  ['opus', 'opus', (wav, out) => ['opusenc', '--quiet', '--title', 'Bench', '--artist', 'Opus', wav, out]],
  [
    'aac',
    'm4a',
    (wav, out) => ['ffmpeg', '-loglevel', 'error', '-i', wav, '-c:a', 'aac', '-metadata', 'title=Bench', out],
  ],
];

/** 400 MP3s of the MP3 bench library and 400 hard links of one 30 s file of each other format, under other names. */
function mixedLibrary(): string {
  const dir = path.join(os.tmpdir(), `streamd-bench-mixed-5x${PER_FORMAT}`);
  if (existsSync(path.join(dir, '.complete'))) return path.join(dir, 'music');
  const building = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-building-'));
  const music = path.join(building, 'music');
  const mp3s = benchLibrary(1000, 30);
  let linked = 0;
  for (const artist of readdirSync(mp3s))
    for (const album of readdirSync(path.join(mp3s, artist))) {
      mkdirSync(path.join(music, 'mp3', artist, album), { recursive: true });
      for (const song of readdirSync(path.join(mp3s, artist, album)))
        if (linked++ < PER_FORMAT)
          linkSync(path.join(mp3s, artist, album, song), path.join(music, 'mp3', artist, album, song));
    }
  const wav = path.join(building, 'source.wav');
  execFileSync('sox', [
    ...['-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '30'],
    ...['sine', '200-2000', 'pinknoise', 'vol', '0.3'],
  ]);
  for (const [folder, extension, encode] of ENCODERS) {
    const source = path.join(building, `source.${extension}`);
    const [command, ...args] = encode(wav, source);
    execFileSync(command as string, args);
    for (let i = 0; i < PER_FORMAT; i++) {
      const album = path.join(music, folder, `Album ${String(Math.floor(i / 10)).padStart(3, '0')}`);
      mkdirSync(album, { recursive: true });
      linkSync(source, path.join(album, `${String(i).padStart(4, '0')} Song.${extension}`));
    }
    rmSync(source);
  }
  rmSync(wav);
  writeFileSync(path.join(building, '.complete'), '');
  renameSync(building, dir);
  return path.join(dir, 'music');
}

const scanMs = (log: string): number => Number(/library: \d+ songs \(\d+ analysed[^)]*\) in (\d+) ms/.exec(log)?.[1]);

export async function mixedScanBench(): Promise<string> {
  const missing = missingTools(['mpd', 'mpc', 'ncmpcpp', 'sox', 'flac', 'lame', 'oggenc', 'opusenc', 'ffmpeg']);
  if (missing.length > 0)
    return `Not measured: ${missing.join(', ')} missing (apt-get install mpd mpc ncmpcpp sox flac lame vorbis-tools opus-tools ffmpeg).`;
  const music = mixedLibrary();
  const empty = mkdtempSync(path.join(os.tmpdir(), 'mpd-empty-'));
  const ours: number[] = [];
  const theirs: number[] = [];
  const ourRss: number[] = [];
  const theirRss: number[] = [];
  let songs = '';
  try {
    for (let run = 0; run < RUNS; run++) {
      const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-mixed-'));
      try {
        const daemon = await spawnDaemon(music, stateDir, await freePort());
        ours.push(scanMs(daemon.log()));
        songs = /library: (\d+) songs/.exec(daemon.log())?.[1] ?? '?';
        ourRss.push(rssMiB(daemon.child.pid as number));
        await daemon.stop();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
      // MPD's start and an update of an empty folder, then the same with the library.
      let started = performance.now();
      const bare = await startMpd(empty, 'null');
      const bareMs = performance.now() - started;
      bare.stop();
      started = performance.now();
      const mpd = await startMpd(music, 'null');
      theirs.push(performance.now() - started - bareMs);
      theirRss.push(rssMiB(mpd.process.pid as number));
      mpd.stop();
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  return [
    `${songs} songs found by streamd (${PER_FORMAT} of 30 s of each format: MP3 by lame with ID3v2 tags, FLAC by flac with Vorbis comments and a seek table, Ogg Vorbis by oggenc, Opus by opusenc, M4A (AAC) by ffmpeg), median of ${RUNS} cold scans, the two daemons taking turns.`,
    '',
    table(
      ['daemon', 'cold scan ms', 'RSS after MiB'],
      [
        ['streamd', median(ours).toFixed(0), median(ourRss).toFixed(1)],
        ['MPD 0.23', median(theirs).toFixed(0), median(theirRss).toFixed(1)],
        [
          'ratio (streamd / MPD)',
          (median(ours) / median(theirs)).toFixed(2),
          (median(ourRss) / median(theirRss)).toFixed(2),
        ],
      ],
    ),
  ].join('\n');
}
