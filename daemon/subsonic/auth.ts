/**
 * Who a Subsonic request is from: the users of the config file, by password (plain or `enc:` hex),
 * by Subsonic's token (the MD5 of the password and a salt), or by OpenSubsonic's API key. A wrong
 * one is logged on the line the TCP password's failures have (one fail2ban filter for both),
 * counted against the same guesses per address and in all, and answered late.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RateBucket, RateBuckets } from '../../common/rate-bucket.js';
import { SubsonicCode, SubsonicError } from '../../common/subsonic/response.js';
import { passwordMatches } from '../commands/session-commands.js';
import type { Logger } from '../log.js';
import type { Params } from './params.js';

export interface ApiUser {
  name: string;
  password: string;
  /** OpenSubsonic's `apiKey` for this user, when it has one. */
  api_key?: string;
}

/** A wrong password's answer waits this long; one not even checked (guesses used up), the longer. */
const REFUSED_DELAY_MS = 500;
const UNCHECKED_DELAY_MS = 4000;

export interface Guesses {
  fromAddress: RateBuckets;
  inAll: RateBucket;
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

function sameText(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** An `enc:` password back to text (Subsonic's hex of its UTF-8); undefined when it is not hex. */
function decodePassword(given: string): string | undefined {
  if (!given.startsWith('enc:')) return given;
  const hex = given.slice(4);
  return /^([0-9a-f]{2})*$/i.test(hex) ? Buffer.from(hex, 'hex').toString('utf8') : undefined;
}

export class ApiAuth {
  constructor(
    private readonly users: readonly ApiUser[],
    private readonly guesses: Guesses,
    private readonly log: Logger,
  ) {}

  /**
   * The user the request's credentials name. @throws SubsonicError: 10 (none given), 43 (two
   * kinds at once), 40 (wrong user or password), 44 (unknown API key); wrong ones after a delay.
   */
  async check(params: Params, address: string): Promise<string> {
    const user = params.get('u');
    const apiKey = params.get('apiKey');
    const password = params.get('p');
    const token = params.get('t');
    const salt = params.get('s');
    if (apiKey !== undefined && (user !== undefined || password !== undefined || token !== undefined))
      throw new SubsonicError(SubsonicCode.conflictingAuth, 'give an apiKey, or u with p or t and s: not both');
    if (apiKey === undefined && user === undefined)
      throw new SubsonicError(SubsonicCode.missingParameter, "required parameter 'u' is missing");
    if (apiKey === undefined && password === undefined && (token === undefined || salt === undefined))
      throw new SubsonicError(SubsonicCode.missingParameter, "required parameter 'p', or 't' and 's', is missing");
    if (password !== undefined && token !== undefined)
      throw new SubsonicError(SubsonicCode.conflictingAuth, 'give p, or t and s: not both');
    const ip = address.slice(0, address.lastIndexOf(':'));
    const now = Date.now();
    if (!this.guesses.fromAddress.has(ip, now) || !this.guesses.inAll.has(now)) {
      this.logRefusal(address);
      await sleep(UNCHECKED_DELAY_MS);
      const wait = Math.ceil(
        Math.max(this.guesses.fromAddress.waitSeconds(ip, now), this.guesses.inAll.waitSeconds(now), 1),
      );
      throw new SubsonicError(
        SubsonicCode.wrongCredentials,
        `too many wrong passwords: not checked; try again in ${wait} s`,
      );
    }
    if (apiKey !== undefined) {
      const owner = this.users.find(
        (candidate) => candidate.api_key !== undefined && sameText(candidate.api_key, apiKey),
      );
      if (owner) return owner.name;
      this.guesses.fromAddress.take(ip, now);
      this.guesses.inAll.take(now);
      await this.refused(address);
      throw new SubsonicError(SubsonicCode.invalidApiKey, 'unknown API key');
    }
    const account = this.users.find((candidate) => candidate.name === user);
    let good = false;
    if (account && password !== undefined) {
      const plain = decodePassword(password);
      good = plain !== undefined && passwordMatches(plain, account.password);
    } else if (account && token !== undefined && salt !== undefined) {
      good = salt.length <= 256 && sameText(token.toLowerCase(), md5(account.password + salt));
    }
    if (good && user !== undefined) return user;
    this.guesses.fromAddress.take(ip, now);
    this.guesses.inAll.take(now);
    await this.refused(address);
    throw new SubsonicError(SubsonicCode.wrongCredentials, 'wrong username or password');
  }

  private async refused(address: string): Promise<void> {
    this.logRefusal(address);
    await sleep(REFUSED_DELAY_MS);
  }

  private logRefusal(address: string): void {
    const cut = address.lastIndexOf(':');
    // The line the TCP password's failures have: README's fail2ban filter takes both.
    this.log.warn(`password refused for ${address.slice(0, cut)} port ${address.slice(cut + 1)}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
