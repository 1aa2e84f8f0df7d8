/**
 * Fuzzy matching as fzf ranks it (its v1 algorithm, with its scores): the query's characters in
 * order anywhere in the text, scored so that consecutive characters and characters at the start
 * of a word rank first and gaps cost. Smart case: a term with a capital letter matches case.
 * Pure, and linear in the text's length: 2,000 songs are filtered well within a frame.
 */

export interface FuzzyMatch {
  score: number;
  /** Indexes (UTF-16 units) of the text's characters that matched, ascending. */
  positions: number[];
}

const SCORE_MATCH = 16;
const GAP_START = -3;
const GAP_EXTENSION = -1;
/** A match at the start of a word (after a space, a slash, punctuation). */
const BONUS_BOUNDARY = SCORE_MATCH / 2;
/** A match at a lower-to-upper or letter-to-digit change (camelCase, track2). */
const BONUS_CAMEL = BONUS_BOUNDARY - 1;
/** Each character that follows the previous match directly: beats a gap's cost. */
const BONUS_CONSECUTIVE = -(GAP_START + GAP_EXTENSION);
/** The term's first character counts its bonus twice (fzf's multiplier). */
const FIRST_CHAR_MULTIPLIER = 2;

type CharClass = 0 | 1 | 2 | 3; // other, lower, upper, digit

function classOf(ch: string): CharClass {
  if (ch >= 'a' && ch <= 'z') return 1;
  if (ch >= 'A' && ch <= 'Z') return 2;
  if (ch >= '0' && ch <= '9') return 3;
  // Letters beyond ASCII (ç, ø, ß...): a letter, whatever its case.
  return ch.toLowerCase() !== ch.toUpperCase() ? (ch === ch.toLowerCase() ? 1 : 2) : 0;
}

function bonusAt(text: string, at: number): number {
  if (at === 0) return BONUS_BOUNDARY;
  const before = classOf(text[at - 1] as string);
  const here = classOf(text[at] as string);
  if (before === 0 && here !== 0) return BONUS_BOUNDARY;
  if ((before === 1 && here === 2) || (before !== 3 && here === 3)) return BONUS_CAMEL;
  return 0;
}

/** The score of matching at `positions` (ascending) in `text`. */
function scoreOf(text: string, positions: readonly number[]): number {
  let score = 0;
  let previous = -1;
  let chunkBonus = 0;
  positions.forEach((at, i) => {
    let bonus = bonusAt(text, at);
    if (previous >= 0 && at === previous + 1) {
      // A run keeps the bonus it started with (a word start carries through the word).
      chunkBonus = Math.max(chunkBonus, bonus, BONUS_CONSECUTIVE);
      bonus = chunkBonus;
    } else {
      if (previous >= 0) score += GAP_START + GAP_EXTENSION * (at - previous - 2);
      chunkBonus = bonus;
    }
    score += SCORE_MATCH + (i === 0 ? bonus * FIRST_CHAR_MULTIPLIER : bonus);
    previous = at;
  });
  return score;
}

/**
 * `term` against `text`: undefined when its characters are not all there in order. Of the
 * shortest greedy match (fzf v1: forward to the end of the first match, back to its latest start)
 * and the first exact substring, the better scored is taken.
 */
export function fuzzyMatch(term: string, text: string, lowered?: string): FuzzyMatch | undefined {
  if (term.length === 0) return { score: 0, positions: [] };
  const caseSensitive = term !== term.toLowerCase();
  const haystack = caseSensitive ? text : (lowered ?? text.toLowerCase());
  // Lower-casing can change the length (İ); such texts are matched case-sensitively.
  const subject = haystack.length === text.length ? haystack : text;
  let end = -1;
  for (let t = 0, at = 0; at < subject.length; at++) {
    if (subject[at] === term[t] && ++t === term.length) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  const positions: number[] = new Array<number>(term.length);
  for (let t = term.length - 1, at = end; t >= 0; at--) {
    if (subject[at] === term[t]) positions[t--] = at;
  }
  let best: FuzzyMatch = { score: scoreOf(text, positions), positions };
  // One character: the greedy match is the first occurrence already.
  const exact = term.length > 1 ? subject.indexOf(term) : -1;
  if (exact >= 0 && exact !== positions[0]) {
    const run = Array.from(term, (_, i) => exact + i);
    const score = scoreOf(text, run);
    if (score > best.score) best = { score, positions: run };
  }
  return best;
}

/** What a song is matched on, and what its row shows: the name shown, the album, the file. */
export interface MatchFields {
  name: string;
  album: string;
  file: string;
}

/** The fields and their lower-case forms, made once per song (a key press matches every song). */
export interface PreparedFields {
  fields: MatchFields;
  lower: MatchFields;
}

export function prepareFields(fields: MatchFields): PreparedFields {
  return {
    fields,
    lower: { name: fields.name.toLowerCase(), album: fields.album.toLowerCase(), file: fields.file.toLowerCase() },
  };
}

export interface FieldsMatch {
  score: number;
  /** Matched character indexes in the name and the album, for highlighting. */
  name: number[];
  album: number[];
}

/**
 * Every term of `query` (split on spaces, as fzf does) must match one of the fields; the score is
 * the sum of each term's best field score. undefined: no match.
 */
export function matchFields(terms: readonly string[], given: MatchFields | PreparedFields): FieldsMatch | undefined {
  const { fields, lower } = 'lower' in given ? given : prepareFields(given);
  const result: FieldsMatch = { score: 0, name: [], album: [] };
  for (const term of terms) {
    const name = fuzzyMatch(term, fields.name, lower.name);
    const album = fuzzyMatch(term, fields.album, lower.album);
    const file = fuzzyMatch(term, fields.file, lower.file);
    const best = Math.max(name?.score ?? -Infinity, album?.score ?? -Infinity, file?.score ?? -Infinity);
    if (best === -Infinity) return undefined;
    result.score += best;
    if (name && name.score === best) result.name.push(...name.positions);
    else if (album && album.score === best) result.album.push(...album.positions);
  }
  result.name.sort((a, b) => a - b);
  result.album.sort((a, b) => a - b);
  return result;
}

export function queryTerms(query: string): string[] {
  return query.split(/\s+/).filter((term) => term.length > 0);
}
