/**
 * The library's fuzzy search per key press: 2,000 songs (and 20,000) of realistic names, a query
 * typed a character at a time as a person types it, each step filtering (among the last step's
 * matches, as fzf does) and ranking, and the rows the view then draws. Target: a
 * key press within one frame (16 ms) for 2,000 songs.
 */
import type { SongInfo } from '../common/protocol/records.js';
import { searchRows } from '../tui/state/library-tree.js';
import { median, table } from './lib.js';

const WORDS = [
  'love',
  'night',
  'blue',
  'river',
  'song',
  'heart',
  'fire',
  'dream',
  'light',
  'road',
  'rain',
  'moon',
  'time',
  'home',
  'gold',
  'wild',
  'city',
  'summer',
  'ghost',
  'paper',
];

/** `count` songs across 1 artist per 20 songs and 1 album per 10, names made of the words above. */
function library(count: number): SongInfo[] {
  let seed = 1;
  const pick = (): string => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return WORDS[seed % WORDS.length] as string;
  };
  const cap = (word: string): string => word[0]?.toUpperCase() + word.slice(1);
  return Array.from({ length: count }, (_, i) => {
    const artist = `${cap(pick())} ${cap(pick())}s`;
    const album = `${cap(pick())} of ${cap(pick())}`;
    const title = `${cap(pick())} ${pick()} ${pick()}`;
    return {
      id: i + 1,
      file: `${artist}/${album}/${String((i % 10) + 1).padStart(2, '0')} ${title}.mp3`,
      title,
      artist,
      album,
      duration: 200,
      format: 'mp3',
      sampleRate: 44100,
      channels: 2,
      bytes: 3_000_000,
      blocks: 7,
      etag: i.toString(16).padStart(16, '0'),
    };
  });
}

const QUERIES = ['summer night', 'ghst', 'rvr rd', 'lovesong'];

export async function fuzzyBench(): Promise<string> {
  const rows: Array<Array<string | number>> = [];
  for (const count of [2000, 20000]) {
    const songs = library(count);
    const times: number[] = [];
    let cold = 0;
    let matched = 0;
    for (let round = 0; round < 6; round++) {
      for (const query of QUERIES) {
        // One library while a query is typed, as in the player (a key press narrows the last
        // matches); a new array for each query, so that none starts from another's.
        const list = songs.slice();
        for (let n = 1; n <= query.length; n++) {
          const started = performance.now();
          const found = searchRows(list, query.slice(0, n));
          const took = performance.now() - started;
          if (round === 0 && query === QUERIES[0] && n === 1) cold = took;
          if (round > 0) times.push(took);
          matched = found.length;
        }
      }
    }
    times.sort((a, b) => a - b);
    rows.push([
      count,
      times.length,
      median(times).toFixed(2),
      (times[Math.floor(times.length * 0.95)] as number).toFixed(2),
      (times.at(-1) as number).toFixed(2),
      cold.toFixed(1),
      matched,
    ]);
  }
  return [
    `Each key press of ${QUERIES.map((q) => `'${q}'`).join(', ')} typed a character at a time, 5 rounds after one that warms the JIT and prepares each song's lower-cased fields once (its first key press is the cold column: the first search after start): filter (a key press that extends the query looks among the last matches only, as fzf does) and rank over title, artist, album and file name, as the library panel does (tui/state/library-tree.ts, fuzzy.ts). Target: under 16 ms (a frame) for 2,000 songs.`,
    table(
      ['songs', 'key presses', 'median ms', 'p95 ms', 'worst ms', 'cold first press ms', 'matches of the last query'],
      rows,
    ),
  ].join('\n\n');
}
