/**
 * The Subsonic API's answers (docs/http-api.md): one tree of values, written as XML (the default)
 * or JSON (`f=json`), in the envelope every answer has. Pure.
 *
 * A tree's objects are elements; their numbers, strings and booleans are attributes in XML; an
 * array is one element per item; the key `value` is an element's text (a genre's name, a lyric's
 * line), as the API's XML schema and its JSON both have it.
 *
 * @example
 *   writeResponse({ ok: { genres: { genre: [{ value: 'Jazz', songCount: 3, albumCount: 1 }] } } }, 'json', ABOUT)
 *   // {"subsonic-response":{"status":"ok","version":"1.16.1",...,"genres":{"genre":[{"value":"Jazz",...}]}}}
 */

/** The API version served (the last of Subsonic's), and what OpenSubsonic adds to the envelope. */
export const API_VERSION = '1.16.1';

export type SubsonicScalar = string | number | boolean;
export type SubsonicValue = SubsonicScalar | undefined | SubsonicObject | SubsonicValue[];
export interface SubsonicObject {
  [key: string]: SubsonicValue;
}

/** The Subsonic error codes (the API's documentation, Error handling). */
export const SubsonicCode = {
  generic: 0,
  missingParameter: 10,
  clientMustUpgrade: 20,
  serverMustUpgrade: 30,
  wrongCredentials: 40,
  tokenNotSupported: 41,
  authNotSupported: 42,
  conflictingAuth: 43,
  invalidApiKey: 44,
  notAuthorized: 50,
  notFound: 70,
} as const;
export type SubsonicCode = (typeof SubsonicCode)[keyof typeof SubsonicCode];

/** An answer with status "failed": its code and message go in the envelope's `error`. */
export class SubsonicError extends Error {
  override name = 'SubsonicError';
  constructor(
    readonly code: SubsonicCode,
    message: string,
  ) {
    super(message);
  }
}

export type ResponseFormat = 'xml' | 'json';

/** Who answers: the envelope's `type` and `serverVersion`. */
export interface ServerAbout {
  type: string;
  serverVersion: string;
}

/** The envelope around `body` (an ok answer's elements) or `error`, written in `format`. */
export function writeResponse(
  answer: { ok: SubsonicObject } | { error: SubsonicError },
  format: ResponseFormat,
  about: ServerAbout,
): string {
  const envelope: SubsonicObject = {
    status: 'ok' in answer ? 'ok' : 'failed',
    version: API_VERSION,
    type: about.type,
    serverVersion: about.serverVersion,
    openSubsonic: true,
    ...('ok' in answer ? answer.ok : { error: { code: answer.error.code, message: answer.error.message } }),
  };
  if (format === 'json') return JSON.stringify({ 'subsonic-response': envelope });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xmlElement('subsonic-response', { xmlns: 'http://subsonic.org/restapi', ...envelope })}`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text as XML may hold it: escaped, and without the characters XML 1.0 has no place for. */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string);
}

function xmlElement(name: string, value: SubsonicValue): string {
  if (value === undefined) return '';
  if (typeof value !== 'object') return `<${name}>${xmlText(String(value))}</${name}>`;
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join('');
  let attributes = '';
  let children = '';
  let text = '';
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    if (key === 'value' && typeof child !== 'object') text = xmlText(String(child));
    else if (typeof child === 'object') children += xmlElement(key, child);
    else attributes += ` ${key}="${xmlText(String(child))}"`;
  }
  const inside = text + children;
  return inside === '' ? `<${name}${attributes}/>` : `<${name}${attributes}>${inside}</${name}>`;
}
