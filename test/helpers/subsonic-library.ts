/**
 * A library for the Subsonic API's tests, made at test time by other programs' encoders: lame
 * (MP3, ID3v2 tags), flac (Vorbis comments), oggenc and opusenc; a cover file made by ffmpeg in one
 * album's folder, a `.lrc` beside one song, and a file with no tags at all at the root.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sineWav } from './tones.js';

export interface LibrarySong {
  file: string;
  title?: string;
  artist?: string;
  album?: string;
  track?: number;
  year?: number;
  genre?: string;
  seconds: number;
}

const run = (command: string, args: string[]): void => {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
};

export const SUBSONIC_SONGS: readonly LibrarySong[] = [
  {
    file: 'Beyoncé/Lemonade/01 Pray You Catch Me.mp3',
    title: 'Pray You Catch Me',
    artist: 'Beyoncé',
    album: 'Lemonade',
    track: 1,
    year: 2016,
    genre: 'Pop',
    seconds: 4,
  },
  {
    file: 'Beyoncé/Lemonade/02 Hold Up.mp3',
    title: 'Hold Up',
    artist: 'Beyoncé',
    album: 'Lemonade',
    track: 2,
    year: 2016,
    genre: 'Pop',
    seconds: 3,
  },
  {
    file: 'Björk/Homogenic/01 Hunter.flac',
    title: 'Hunter',
    artist: 'Björk',
    album: 'Homogenic',
    track: 1,
    year: 1997,
    genre: 'Electronic',
    seconds: 3,
  },
  {
    file: 'Björk/Homogenic/02 Jóga.flac',
    title: 'Jóga',
    artist: 'Björk',
    album: 'Homogenic',
    track: 2,
    year: 1997,
    genre: 'Electronic',
    seconds: 3,
  },
  {
    file: 'The Beatles/Abbey Road/01 Come Together.ogg',
    title: 'Come Together',
    artist: 'The Beatles',
    album: 'Abbey Road',
    track: 1,
    year: 1969,
    genre: 'Rock',
    seconds: 3,
  },
  {
    file: 'Arvo Pärt/Tabula Rasa/01 Fratres.opus',
    title: 'Fratres',
    artist: 'Arvo Pärt',
    album: 'Tabula Rasa',
    track: 1,
    year: 1984,
    genre: 'Classical',
    seconds: 3,
  },
  { file: 'loose.mp3', seconds: 2 },
];

export const LYRICS_LRC = '[00:00.50]Pray you catch me\n[00:01.50]Listening\n[00:02.50]Through the wall\n';

/** Makes the library in `dir`; returns the cover file's bytes. */
export function makeSubsonicLibrary(dir: string, work: string): { cover: Buffer } {
  SUBSONIC_SONGS.forEach((song, index) => {
    const file = path.join(dir, song.file);
    mkdirSync(path.dirname(file), { recursive: true });
    const wav = path.join(work, `tone-${index}.wav`);
    sineWav(wav, 300 + index * 110, song.seconds);
    const tags: Array<[string, string | number | undefined]> = [
      ['TITLE', song.title],
      ['ARTIST', song.artist],
      ['ALBUM', song.album],
      ['TRACKNUMBER', song.track],
      ['DATE', song.year],
      ['GENRE', song.genre],
    ];
    const given = tags.filter((tag): tag is [string, string | number] => tag[1] !== undefined);
    if (file.endsWith('.mp3')) {
      const lameTags = song.title
        ? [
            '--tt',
            song.title,
            '--ta',
            song.artist ?? '',
            '--tl',
            song.album ?? '',
            '--tn',
            String(song.track),
            '--ty',
            String(song.year),
            '--tg',
            song.genre ?? '',
            '--id3v2-only',
          ]
        : [];
      run('lame', ['--quiet', '-b', '128', ...lameTags, wav, file]);
    } else if (file.endsWith('.flac')) {
      run('flac', ['--silent', '-f', ...given.flatMap(([key, value]) => ['-T', `${key}=${value}`]), '-o', file, wav]);
    } else if (file.endsWith('.ogg')) {
      run('oggenc', ['--quiet', ...given.flatMap(([key, value]) => ['-c', `${key}=${value}`]), '-o', file, wav]);
    } else {
      run('opusenc', ['--quiet', ...given.flatMap(([key, value]) => ['--comment', `${key}=${value}`]), wav, file]);
    }
  });
  writeFileSync(path.join(dir, 'Beyoncé/Lemonade/01 Pray You Catch Me.lrc'), LYRICS_LRC);
  const cover = path.join(dir, 'Björk/Homogenic/cover.png');
  run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=300x200', '-frames:v', '1', '-y', cover]);
  return { cover: readFileSync(cover) };
}
