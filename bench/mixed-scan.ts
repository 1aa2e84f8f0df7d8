/**
 * A mixed library scanned beside MPD 0.23 scanning the same folder, in the same run: 1,000 MP3s
 * and 1,000 FLACs (the reference encoder's, with a seek table and Vorbis comments), cold (no
 * catalog or database kept), files in the page cache. streamd's time is what it logs; MPD's is
 * from its start to `mpc update --wait` returning on an empty database (its start alone is
 * measured apart and taken off). RSS of each daemon after the scan.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchLibrary, freePort, median, missingTools, rssMiB, spawnDaemon, table } from './lib.js';
import { startMpd } from './mpd.js';

const RUNS = 3;

/** 1,000 MP3s of the MP3 bench library and 1,000 hard links of one 30 s FLAC, under other names. */
function mixedLibrary(): string {
  const dir = path.join(os.tmpdir(), 'streamd-bench-mixed-1000+1000');
  if (existsSync(path.join(dir, '.complete'))) return path.join(dir, 'music');
  const building = mkdtempSync(path.join(os.tmpdir(), 'streamd-bench-building-'));
  const music = path.join(building, 'music');
  const mp3s = benchLibrary(1000, 30);
  for (const artist of readdirSync(mp3s))
    for (const album of readdirSync(path.join(mp3s, artist))) {
      mkdirSync(path.join(music, 'mp3', artist, album), { recursive: true });
      for (const song of readdirSync(path.join(mp3s, artist, album)))
        linkSync(path.join(mp3s, artist, album, song), path.join(music, 'mp3', artist, album, song));
    }
  const wav = path.join(building, 'source.wav');
  execFileSync('sox', [
    '-n',
    '-r',
    '44100',
    '-c',
    '2',
    '-b',
    '16',
    wav,
    'synth',
    '30',
    'sine',
    '200-2000',
    'pinknoise',
    'vol',
    '0.3',
  ]);
  const flac = path.join(building, 'source.flac');
  execFileSync('flac', ['-s', '-T', 'TITLE=Bench', '-T', 'ARTIST=Flac', '-o', flac, wav]);
  for (let i = 0; i < 1000; i++) {
    const folder = path.join(music, 'flac', `Album ${String(Math.floor(i / 10)).padStart(3, '0')}`);
    mkdirSync(folder, { recursive: true });
    linkSync(flac, path.join(folder, `${String(i).padStart(4, '0')} Song.flac`));
  }
  rmSync(wav);
  writeFileSync(path.join(building, '.complete'), '');
  renameSync(building, dir);
  return path.join(dir, 'music');
}

const scanMs = (log: string): number => Number(/library: \d+ songs \(\d+ analysed[^)]*\) in (\d+) ms/.exec(log)?.[1]);

export async function mixedScanBench(): Promise<string> {
  const missing = missingTools(['mpd', 'mpc', 'ncmpcpp', 'sox', 'flac', 'lame']);
  if (missing.length > 0)
    return `Not measured: ${missing.join(', ')} missing (apt-get install mpd mpc ncmpcpp sox flac lame).`;
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
    `${songs} songs found by streamd (1,000 MP3s of 30 s by lame with ID3v2 tags, 1,000 FLACs of 30 s by flac with Vorbis comments and a seek table), median of ${RUNS} cold scans, the two daemons taking turns.`,
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
