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
 * `text` with the accents of its letters taken off (ö o, ç c, é e), one UTF-16 unit for one, so
 * that positions in it are positions in `text`: `motley` finds Mötley, `coracao` Coração, as in
 * cmus. A letter that does not come apart (ß, ø) stays; a separate combining mark stays too.
 *
 * @example foldAccents('Coração') // 'Coracao'
 */
export function foldAccents(text: string): string {
  // Plain ASCII, the common case, is left as it is without a look at each character.
  if (!/[^\u0000-\u007f]/.test(text)) return text;
  let out = '';
  for (let at = 0; at < text.length; at++) {
    const ch = text[at] as string;
    const base = ch.charCodeAt(0) < 0x80 ? ch : (ch.normalize('NFD')[0] as string);
    out += base.length === 1 && base.charCodeAt(0) < 0xd800 ? base : ch;
  }
  return out;
}

/**
 * `term` against `text`: undefined when its characters are not all there in order, accents aside.
 * Of the shortest greedy match (fzf v1: forward to the end of the first match, back to its latest
 * start) and the first exact substring, the better scored is taken. `folded` and `lowered` are
 * `text` through foldAccents, and that lower-cased, when the caller has them made already.
 */
export function fuzzyMatch(term: string, text: string, lowered?: string, folded?: string): FuzzyMatch | undefined {
  if (term.length === 0) return { score: 0, positions: [] };
  const wanted = foldAccents(term);
  const caseSensitive = wanted !== wanted.toLowerCase();
  const plain = folded ?? foldAccents(text);
  const haystack = caseSensitive ? plain : (lowered ?? plain.toLowerCase());
  // Lower-casing can change the length (İ); such texts are matched case-sensitively.
  const subject = haystack.length === text.length ? haystack : plain;
  const needle = wanted;
  let end = -1;
  for (let t = 0, at = 0; at < subject.length; at++) {
    if (subject[at] === needle[t] && ++t === needle.length) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  const positions: number[] = new Array<number>(needle.length);
  for (let t = needle.length - 1, at = end; t >= 0; at--) {
    if (subject[at] === needle[t]) positions[t--] = at;
  }
  let best: FuzzyMatch = { score: scoreOf(text, positions), positions };
  // One character: the greedy match is the first occurrence already.
  const exact = needle.length > 1 ? subject.indexOf(needle) : -1;
  if (exact >= 0 && exact !== positions[0]) {
    const run = Array.from(needle, (_, i) => exact + i);
    const score = scoreOf(text, run);
    if (score > best.score) best = { score, positions: run };
  }
  return best;
}

/**
 * What a song is matched on: the name its row shows, the album and the file (a bare term tries
 * those three), and the fields a term can name (`artist:`, `title:`, `genre:`, `year:`, also
 * `album:` and `file:`).
 */
export interface MatchFields {
  name: string;
  album: string;
  file: string;
  artist: string;
  title: string;
  genre: string;
  year: string;
}

type FieldName = keyof MatchFields;
const FIELD_NAMES: readonly FieldName[] = ['name', 'album', 'file', 'artist', 'title', 'genre', 'year'];

/** The fields with their accents off, and those lower-cased, made once per song (a key press matches every song). */
export interface PreparedFields {
  fields: MatchFields;
  folded: MatchFields;
  lower: MatchFields;
}

export function prepareFields(
  given: Pick<MatchFields, 'name' | 'album' | 'file'> & Partial<MatchFields>,
): PreparedFields {
  const fields: MatchFields = { artist: '', title: '', genre: '', year: '', ...given };
  const folded = {} as MatchFields;
  const lower = {} as MatchFields;
  for (const key of FIELD_NAMES) {
    folded[key] = foldAccents(fields[key]);
    lower[key] = folded[key].toLowerCase();
  }
  return { fields, folded, lower };
}

export interface FieldsMatch {
  score: number;
  /** Matched character indexes in the name and the album, for highlighting. */
  name: number[];
  album: number[];
}

/** A term of a query: text to find, in the field it names (`artist:motley`) or in any of name, album and file. */
export interface QueryTerm {
  field?: 'artist' | 'album' | 'title' | 'genre' | 'year' | 'file';
  text: string;
}

/** `year:1989` that year, `year:198` the years that start so, `year:1985-1989` those years. */
function yearMatches(text: string, year: string): boolean {
  if (year === '') return false;
  const range = /^(\d{1,4})-(\d{1,4})$/.exec(text);
  if (range) return Number(year) >= Number(range[1]) && Number(year) <= Number(range[2]);
  return year.startsWith(text);
}

/**
 * Every term of `query` must match: a field term its field, a bare term one of name, album and
 * file; the score is the sum of each term's best score. undefined: no match.
 */
export function matchFields(
  terms: ReadonlyArray<string | QueryTerm>,
  given: (Pick<MatchFields, 'name' | 'album' | 'file'> & Partial<MatchFields>) | PreparedFields,
): FieldsMatch | undefined {
  const { fields, folded, lower } = 'lower' in given ? given : prepareFields(given);
  const result: FieldsMatch = { score: 0, name: [], album: [] };
  const match = (term: string, key: FieldName): FuzzyMatch | undefined =>
    fuzzyMatch(term, fields[key], lower[key], folded[key]);
  for (const given of terms) {
    const term = typeof given === 'string' ? { text: given } : given;
    if (term.field === 'year') {
      if (!yearMatches(term.text, fields.year)) return undefined;
      result.score += SCORE_MATCH;
      continue;
    }
    if (term.field) {
      const found = match(term.text, term.field);
      if (!found) return undefined;
      result.score += found.score;
      if (term.field === 'album') result.album.push(...found.positions);
      continue;
    }
    const name = match(term.text, 'name');
    const album = match(term.text, 'album');
    const file = match(term.text, 'file');
    const best = Math.max(name?.score ?? -Infinity, album?.score ?? -Infinity, file?.score ?? -Infinity);
    if (best === -Infinity) return undefined;
    result.score += best;
    if (name && name.score === best) result.name.push(...name.positions);
    else if (album && album.score === best) result.album.push(...album.positions);
  }
  result.name = [...new Set(result.name)].sort((a, b) => a - b);
  result.album = [...new Set(result.album)].sort((a, b) => a - b);
  return result;
}

const FIELD_PREFIX = /^(artist|album|title|genre|year|file):(.*)$/i;

/**
 * The terms of a query, split on spaces as fzf does; `field:text` names the field (`artist:`,
 * `album:`, `title:`, `genre:`, `year:`, `file:`), and a field's text with spaces goes in quotes
 * (`album:"dr feelgood"`).
 */
export function queryTerms(query: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  for (const m of query.matchAll(/(\w+:)?"([^"]*)"?|\S+/g)) {
    const word = m[0];
    const quoted = m[2] !== undefined ? { prefix: m[1] ?? '', text: m[2] } : undefined;
    const named = FIELD_PREFIX.exec(quoted ? `${quoted.prefix}${quoted.text}` : word);
    if (named && (quoted ? quoted.prefix !== '' : true)) {
      const text = named[2] as string;
      if (text !== '') terms.push({ field: (named[1] as string).toLowerCase() as QueryTerm['field'], text });
    } else {
      const text = quoted ? quoted.text : word;
      if (text !== '') terms.push({ text });
    }
  }
  return terms;
}
