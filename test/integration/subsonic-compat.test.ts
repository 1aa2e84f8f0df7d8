/**
 * A compatibility run against Debian's supysonic, a Subsonic server nobody here wrote: the same
 * library, the same requests, and for every endpoint both serve, the same answer in shape: each
 * key supysonic's answer has, streamd's has too, with a value of the same JSON type, down through
 * every element. Ids differ (each server makes its own), so a request that names a thing names it
 * by what it is (the album called Homogenic) and each server's id for it is looked up first.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeSubsonicLibrary } from '../helpers/subsonic-library.js';
import { startSupysonic, type Supysonic } from '../helpers/supysonic.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-subsonic-compat-'));
const music = path.join(work, 'music');
const USER = { name: 'alice', password: 'sesame' };
let streamd: TestDaemon;
let supysonic: Supysonic;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Server {
  name: string;
  base: string;
}
let servers: [Server, Server];

async function call(
  server: Server,
  method: string,
  params: Record<string, string> = {},
): Promise<Record<string, Json>> {
  const query = new URLSearchParams({ u: USER.name, p: USER.password, v: '1.16.1', c: 'compat', f: 'json', ...params });
  const response = await fetch(`${server.base}/rest/${method}?${query}`);
  const answer = ((await response.json()) as { 'subsonic-response': Record<string, Json> })['subsonic-response'];
  assert.equal(answer['status'], 'ok', `${server.name} ${method}: ${JSON.stringify(answer['error'])}`);
  return answer;
}

const kind = (value: Json): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Two records as one: every key of either, lists joined. */
function merged(a: Json, b: Json): Json {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (kind(a) !== 'object' || kind(b) !== 'object') return a;
  const out: Record<string, Json> = { ...(a as Record<string, Json>) };
  for (const [key, value] of Object.entries(b as Record<string, Json>))
    out[key] = key in out ? merged(out[key] as Json, value) : value;
  return out;
}

/** Where `theirs` has a key or a type that `ours` lacks: one line each, with the path. */
function shapeDifferences(ours: Json, theirs: Json, at: string, out: string[]): string[] {
  if (kind(ours) !== kind(theirs)) {
    out.push(`${at}: ${kind(theirs)} in supysonic, ${kind(ours)} in streamd`);
    return out;
  }
  if (Array.isArray(theirs) && Array.isArray(ours)) {
    // Records of one list have one shape, an optional key in some of them: each element of theirs
    // against every key any of ours has.
    if (theirs.length > 0 && ours.length === 0) out.push(`${at}: supysonic lists ${theirs.length}, streamd none`);
    const union = ours.reduce<Json>((all, element) => merged(all, element), ours[0] ?? null);
    for (const element of theirs) if (ours.length > 0) shapeDifferences(union, element, `${at}[]`, out);
    return out;
  }
  if (kind(theirs) === 'object') {
    const mine = ours as Record<string, Json>;
    for (const [key, value] of Object.entries(theirs as Record<string, Json>)) {
      if (!(key in mine)) out.push(`${at}.${key}: missing in streamd`);
      else shapeDifferences(mine[key] as Json, value, `${at}.${key}`, out);
    }
  }
  return [...new Set(out)];
}

/** Keys supysonic sends that streamd leaves out on purpose, each with why. */
const LEFT_OUT: Record<string, string> = {
  'getUser.user.email': 'streamd keeps no e-mail addresses',
  'getMusicFolders.musicFolders.musicFolder[].id: string in supysonic':
    "the spec's type is int; supysonic's ids are UUIDs",
  'getIndexes.indexes.child[].track': 'a song without a track number is given none',
};

before(async () => {
  mkdirSync(music);
  makeSubsonicLibrary(music, work);
  streamd = await startTestDaemon(music, { users: [USER] });
  supysonic = await startSupysonic(music, USER);
  servers = [
    { name: 'streamd', base: `http://127.0.0.1:${streamd.httpPort}` },
    { name: 'supysonic', base: `http://127.0.0.1:${supysonic.port}` },
  ];
});
after(async () => {
  await supysonic?.stop();
  await streamd?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Each server's id of the album called `name`, of the artist called `name`, of the song titled `title`. */
async function albumId(server: Server, name: string): Promise<string> {
  const list = await call(server, 'getAlbumList2', { type: 'alphabeticalByName', size: '500' });
  const albums = ((list['albumList2'] as Record<string, Json>)['album'] ?? []) as Array<Record<string, Json>>;
  return String(albums.find((album) => album['name'] === name)?.['id']);
}
async function songId(server: Server, title: string): Promise<string> {
  const found = await call(server, 'search3', { query: title, songCount: '500', artistCount: '0', albumCount: '0' });
  const songs = ((found['searchResult3'] as Record<string, Json>)['song'] ?? []) as Array<Record<string, Json>>;
  return String(songs.find((song) => song['title'] === title)?.['id']);
}
async function artistId(server: Server, name: string): Promise<string> {
  const answer = await call(server, 'getArtists');
  const indexes = ((answer['artists'] as Record<string, Json>)['index'] ?? []) as Array<Record<string, Json>>;
  const artists = indexes.flatMap((index) => (index['artist'] ?? []) as Array<Record<string, Json>>);
  return String(artists.find((artist) => artist['name'] === name)?.['id']);
}
async function folderId(server: Server, name: string): Promise<string> {
  const answer = await call(server, 'getIndexes');
  const indexes = ((answer['indexes'] as Record<string, Json>)['index'] ?? []) as Array<Record<string, Json>>;
  const folders = indexes.flatMap((index) => (index['artist'] ?? []) as Array<Record<string, Json>>);
  return String(folders.find((folder) => folder['name'] === name)?.['id']);
}

/**
 * The requests of the run: an endpoint, and its parameters as each server names the things in them.
 * supysonic 0.7 has no `highest` list of albums by tags, and no play queue: those are not compared.
 */
const REQUESTS: Array<[string, (server: Server) => Promise<Record<string, string>>]> = [
  ['ping', async () => ({})],
  ['getLicense', async () => ({})],
  ['getUser', async () => ({ username: USER.name })],
  ['getMusicFolders', async () => ({})],
  ['getIndexes', async () => ({})],
  ['getMusicDirectory', async (server) => ({ id: await folderId(server, 'Björk') })],
  ['getArtists', async () => ({})],
  ['getArtist', async (server) => ({ id: await artistId(server, 'Björk') })],
  ['getAlbum', async (server) => ({ id: await albumId(server, 'Homogenic') })],
  ['getSong', async (server) => ({ id: await songId(server, 'Hunter') })],
  ['getGenres', async () => ({})],
  ...['random', 'newest', 'alphabeticalByName', 'alphabeticalByArtist', 'frequent', 'recent', 'starred'].map(
    (type): [string, () => Promise<Record<string, string>>] => ['getAlbumList2', async () => ({ type })],
  ),
  ['getAlbumList2', async () => ({ type: 'byYear', fromYear: '1960', toYear: '2000' })],
  ['getAlbumList2', async () => ({ type: 'byGenre', genre: 'Pop' })],
  ['getAlbumList', async () => ({ type: 'alphabeticalByName' })],
  // Random lists ask for the whole library: the same records on both, in another order.
  ['getRandomSongs', async () => ({ size: '500' })],
  ['getSongsByGenre', async () => ({ genre: 'Electronic' })],
  ['search3', async () => ({ query: 'Homogenic' })],
  ['search3', async () => ({ query: 'Hunter' })],
  ['search2', async () => ({ query: 'Björk' })],
  ['getStarred2', async () => ({})],
  ['getStarred', async () => ({})],
  ['getNowPlaying', async () => ({})],
  ['getPlaylists', async () => ({})],
  ['getLyrics', async () => ({ artist: 'Björk', title: 'Hunter' })],
];

describe('streamd beside supysonic on one library', () => {
  it("answers every request both serve in supysonic's shape", { timeout: 120_000 }, async () => {
    // Something starred, rated, played and a playlist on both, so that those lists are not empty.
    for (const server of servers) {
      const hunter = await songId(server, 'Hunter');
      await call(server, 'star', {
        id: hunter,
        albumId: await albumId(server, 'Homogenic'),
        artistId: await artistId(server, 'Björk'),
      });
      await call(server, 'setRating', { id: hunter, rating: '4' });
      await call(server, 'scrobble', { id: hunter, submission: 'true' });
      await call(server, 'createPlaylist', { name: 'Mix', songId: hunter });
    }
    const differences: string[] = [];
    for (const [method, paramsOf] of REQUESTS) {
      const [ours, theirs] = await Promise.all(
        servers.map(async (server) => call(server, method, await paramsOf(server))),
      );
      for (const line of shapeDifferences(ours as Json, theirs as Json, method, []))
        if (!Object.keys(LEFT_OUT).some((key) => line.startsWith(key))) differences.push(line);
    }
    // The playlist, by each one's id.
    const playlistIds = await Promise.all(
      servers.map(async (server) => {
        const list = ((await call(server, 'getPlaylists'))['playlists'] as Record<string, Json>)['playlist'] as Array<
          Record<string, Json>
        >;
        return String(list[0]?.['id']);
      }),
    );
    const [ours, theirs] = await Promise.all(
      servers.map((server, index) => call(server, 'getPlaylist', { id: playlistIds[index] as string })),
    );
    differences.push(...shapeDifferences(ours as Json, theirs as Json, 'getPlaylist', []));
    assert.deepEqual(
      differences.filter((line) => !line.endsWith('.version: missing in streamd')),
      [],
    );
  });
});
