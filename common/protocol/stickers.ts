/**
 * Stickers, as MPD names them: small values the daemon keeps per song (docs/protocol.md,
 * Stickers). Four names have a meaning both sides know; a client may keep others of its own.
 * Pure: the rules for names and values, and the typed view of a song's stickers.
 */

/** The stickers with a meaning: a rating of 1 to 5, a favourite since a time, plays counted and the last one's time. */
export const RATING = 'rating';
export const FAVORITE = 'favorite';
export const PLAY_COUNT = 'playcount';
export const LAST_PLAYED = 'lastplayed';

/** A song keeps at most this many stickers, each name and value bounded: a client cannot grow the store without end. */
export const MAX_STICKERS_PER_SONG = 16;
export const MAX_STICKER_NAME_BYTES = 64;
export const MAX_STICKER_VALUE_BYTES = 256;

export type Stickers = Readonly<Record<string, string>>;

const NAME = /^[a-z0-9_.-]+$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

/** Why `name` cannot be a sticker's name, or undefined when it can. */
export function badStickerName(name: string): string | undefined {
  if (name.length === 0 || Buffer.byteLength(name) > MAX_STICKER_NAME_BYTES || !NAME.test(name))
    return `a sticker name is 1 to ${MAX_STICKER_NAME_BYTES} of a-z 0-9 _ . -, got '${name.slice(0, 40)}'`;
  return undefined;
}

/** Why `value` cannot be sticker `name`'s value, or undefined when it can. */
export function badStickerValue(name: string, value: string): string | undefined {
  switch (name) {
    case RATING:
      return /^[1-5]$/.test(value) ? undefined : 'a rating is 1 to 5 (delete the sticker to clear it)';
    case PLAY_COUNT:
      return /^\d{1,9}$/.test(value) ? undefined : 'a play count is a whole number';
    case FAVORITE:
    case LAST_PLAYED:
      return TIME.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `${name} is a UTC time as 2026-12-05T21:30:00Z`;
    default:
      if (Buffer.byteLength(value) > MAX_STICKER_VALUE_BYTES)
        return `a sticker value is at most ${MAX_STICKER_VALUE_BYTES} bytes`;
      return /[\u0000-\u001f\u007f]/.test(value) ? 'a sticker value has no control characters' : undefined;
  }
}

/** What a player shows of a song's stickers. */
export interface SongMarks {
  /** 1 to 5; 0 when not rated. */
  rating: number;
  /** Marked a favourite at this time (ms since the epoch). */
  favoriteSince?: number;
  playCount: number;
  /** Ms since the epoch. */
  lastPlayed?: number;
}

export function songMarks(stickers: Stickers | undefined): SongMarks {
  const time = (text: string | undefined): number | undefined => {
    const ms = text === undefined ? NaN : Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  };
  const favoriteSince = time(stickers?.[FAVORITE]);
  const lastPlayed = time(stickers?.[LAST_PLAYED]);
  return {
    rating: Number(stickers?.[RATING] ?? 0) || 0,
    ...(favoriteSince !== undefined ? { favoriteSince } : {}),
    playCount: Number(stickers?.[PLAY_COUNT] ?? 0) || 0,
    ...(lastPlayed !== undefined ? { lastPlayed } : {}),
  };
}

/** A `sticker:` value: `name=value` (MPD's form). */
export const stickerField = (name: string, value: string): string => `${name}=${value}`;

/** `name=value` read back; undefined when there is no `=`. */
export function parseStickerField(text: string): [string, string] | undefined {
  const equals = text.indexOf('=');
  return equals <= 0 ? undefined : [text.slice(0, equals), text.slice(equals + 1)];
}

/** The time as stickers keep it: UTC to the second. */
export const stickerTime = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
