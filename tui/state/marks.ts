/**
 * Ratings, favourites and play counts (the daemon's stickers): the keys that set them, the play
 * counted as scrobblers count it, and the library's order by them. Pure.
 */
import { FAVORITE, RATING, songMarks, stickerTime, type SongMarks } from '../../common/protocol/stickers.js';
import type { SongInfo } from '../../common/protocol/records.js';
import type { MarksAction, Update } from './actions.js';
import { unreachable } from './actions.js';
import { selectedRow } from './selectors.js';
import type { LibraryOrder, PlayerState } from './model.js';

/** The library's orders, in the order `o` goes through them. */
export const LIBRARY_ORDERS: readonly LibraryOrder[] = [
  'path',
  'most-played',
  'top-rated',
  'favorites',
  'never-played',
];

export const ORDER_NAMES: Record<LibraryOrder, string> = {
  path: 'by path',
  'most-played': 'most played',
  'top-rated': 'top rated',
  favorites: 'favourites',
  'never-played': 'never played',
};

/** A play counts once the song has sounded this long, or half of it if it is shorter (as Last.fm counts). */
export const PLAY_COUNTS_AFTER_SECONDS = 240;
/** A position that moves by more than this between two reports was a seek, not listening. */
const MAX_LISTENED_STEP_SECONDS = 2;

const NO_MARKS: SongMarks = { rating: 0, playCount: 0 };

/** What the player shows of `song`'s stickers. */
export const marksOf = (state: PlayerState, song: SongInfo): SongMarks => state.marks.get(song.id) ?? NO_MARKS;

/** The song a rating key is about: the one under the cursor of the library or the queue, else the one playing. */
function songToMark(state: PlayerState): SongInfo | undefined {
  if (state.focus === 'queue') {
    const entry = state.queue.entries[state.selectedEntry];
    if (entry) return entry.song;
  }
  if (state.focus === 'library') {
    const row = selectedRow(state);
    if (row?.kind === 'song') return row.song;
  }
  return state.now?.song;
}

/** `song`'s marks as the daemon will have them after a change: shown at once, the daemon's word comes after. */
function withMarks(state: PlayerState, song: SongInfo, change: Partial<SongMarks>): PlayerState {
  const marks = new Map(state.marks);
  const next: SongMarks = { ...marksOf(state, song), ...change };
  if (change.favoriteSince === undefined && 'favoriteSince' in change) delete next.favoriteSince;
  marks.set(song.id, next);
  return { ...state, marks };
}

export function marksAction(state: PlayerState, action: MarksAction, now: number): Update {
  switch (action.type) {
    case 'rate': {
      const song = songToMark(state);
      if (!song) return { state, effects: [] };
      return {
        state: withMarks(state, song, { rating: action.stars }),
        effects: [
          { type: 'set-sticker', song, name: RATING, value: action.stars > 0 ? String(action.stars) : undefined },
        ],
      };
    }
    case 'toggle-favorite': {
      const song = songToMark(state);
      if (!song) return { state, effects: [] };
      const since = marksOf(state, song).favoriteSince === undefined ? now : undefined;
      return {
        state: withMarks(state, song, { favoriteSince: since }),
        effects: [
          { type: 'set-sticker', song, name: FAVORITE, value: since === undefined ? undefined : stickerTime(since) },
        ],
      };
    }
    case 'cycle-order': {
      const next = LIBRARY_ORDERS[
        (LIBRARY_ORDERS.indexOf(state.libraryOrder) + 1) % LIBRARY_ORDERS.length
      ] as LibraryOrder;
      return { state: { ...state, libraryOrder: next, selected: 0 }, effects: [] };
    }
    default:
      return unreachable(action);
  }
}

/**
 * The playing song's position moved to `seconds`: the time listened grows by the step (a seek's
 * jump is not listening), and once it passes half the song or PLAY_COUNTS_AFTER_SECONDS the play
 * is counted, once per play.
 */
export function listened(state: PlayerState, seconds: number): Update {
  const now = state.now;
  if (!now || state.playState !== 'Playing') return { state, effects: [] };
  const step = seconds - now.position;
  const heard = (now.listened ?? 0) + (step > 0 && step <= MAX_LISTENED_STEP_SECONDS ? step : 0);
  const due = !now.counted && heard >= Math.min(PLAY_COUNTS_AFTER_SECONDS, now.song.duration / 2);
  const next: PlayerState = {
    ...state,
    now: { ...now, position: seconds, listened: heard, counted: now.counted || due },
  };
  if (!due) return { state: next, effects: [] };
  const marks = marksOf(state, now.song);
  return {
    state: withMarks(next, now.song, { playCount: marks.playCount + 1 }),
    effects: [{ type: 'count-play', song: now.song }],
  };
}

/** The stickers the daemon keeps, by song id, as the player shows them. */
export const marksFromStickers = (
  stickers: ReadonlyMap<number, Readonly<Record<string, string>>>,
): Map<number, SongMarks> => new Map([...stickers].map(([id, kept]) => [id, songMarks(kept)]));
