/** A Subsonic request's parameters (query string, or a form body: OpenSubsonic's formPost), read with the API's rules. */
import { SubsonicCode, SubsonicError } from '../../common/subsonic/response.js';

/** Values of one parameter taken at most (a `songId` list of a playlist's update, say). */
const MAX_VALUES = 10_000;

export class Params {
  constructor(readonly search: URLSearchParams) {}

  /** The parameter's first value, if given (an empty one is not: `p=` is no password). */
  get(name: string): string | undefined {
    return this.search.get(name) || undefined;
  }

  /** @throws SubsonicError 10 when it is not given. */
  need(name: string): string {
    const value = this.search.get(name);
    if (value === null || value === '')
      throw new SubsonicError(SubsonicCode.missingParameter, `required parameter '${name}' is missing`);
    return value;
  }

  /** Every value of a repeated parameter (`id=1&id=2`). */
  all(name: string): string[] {
    const values = this.search.getAll(name);
    if (values.length > MAX_VALUES)
      throw new SubsonicError(SubsonicCode.generic, `at most ${MAX_VALUES} values of '${name}'`);
    return values;
  }

  /** A whole number within bounds, else `fallback`. @throws SubsonicError 0 when it is given and is not one. */
  int(name: string, fallback: number, min: number, max: number): number;
  int(name: string, fallback: undefined, min: number, max: number): number | undefined;
  int(name: string, fallback: number | undefined, min: number, max: number): number | undefined {
    const text = this.search.get(name);
    if (text === null || text === '') return fallback;
    if (!/^-?\d{1,15}$/.test(text)) throw new SubsonicError(SubsonicCode.generic, `'${name}' is a whole number`);
    return Math.min(max, Math.max(min, Number(text)));
  }

  bool(name: string, fallback: boolean): boolean {
    const text = this.search.get(name);
    if (text === null || text === '') return fallback;
    return text === 'true' || text === '1';
  }
}
