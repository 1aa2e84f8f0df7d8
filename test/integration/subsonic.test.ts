/**
 * The Subsonic API (docs/http-api.md) driven by a client nobody here wrote, the npm
 * `subsonic-api`, against a real daemon on a library made by other encoders (lame, flac, oggenc,
 * opusenc): browsing matches the library; streams are the files' bytes, ranges seek, transcoded
 * streams decode (ffprobe, mpg123) at the asked rate; what the API stars, rates, scrobbles and
 * saves is what the TCP protocol reads, and the reverse; errors are the spec's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SubsonicAPI } from 'subsonic-api';
import { TestClient, records } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { captureLog } from '../helpers/log-capture.js';
import { LYRICS_LRC, makeSubsonicLibrary, SUBSONIC_SONGS } from '../helpers/subsonic-library.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-subsonic-'));
const music = path.join(work, 'music');
const USER = { name: 'alice', password: 'open sesame', api_key: 'k3y-for-alice-0123456789' };
let daemon: TestDaemon;
let api: SubsonicAPI;
let base: string;
let cover: Buffer;
let tcp: TestClient;
const log = captureLog();

/** A raw request: the query given, JSON asked for. */
async function raw(
  method: string,
  query: Record<string, string | string[]>,
  init: RequestInit = {},
): Promise<Response> {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) for (const one of [value].flat()) search.append(key, one);
  return fetch(`${base}/rest/${method}?${search}`, init);
}
const auth = { u: USER.name, p: USER.password, v: '1.16.1', c: 'test', f: 'json' };
async function body(
  response: Response,
): Promise<{ status: string; error?: { code: number; message: string } } & Record<string, unknown>> {
  return ((await response.json()) as { 'subsonic-response': never })['subsonic-response'];
}
const idOf = (file: string): string => String(daemon.catalog.songAt(file)?.info.id);
const ffprobe = (file: string): Record<string, string> =>
  Object.fromEntries(
    execFileSync('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,bit_rate,duration,sample_rate',
      '-of',
      'default=nw=1',
      file,
    ])
      .toString()
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );

before(async () => {
  mkdirSync(music);
  ({ cover } = makeSubsonicLibrary(music, work));
  daemon = await startTestDaemon(music, { users: [USER, { name: 'bob', password: 'builder' }], log });
  base = `http://127.0.0.1:${daemon.httpPort}`;
  api = new SubsonicAPI({ url: base, auth: { username: USER.name, password: USER.password } });
  ({ client: tcp } = await TestClient.connect(daemon.port));
});
after(async () => {
  tcp.close();
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the Subsonic API through a third-party client', () => {
  it('logs in by token (the client salts every request), by password, by enc: password and by API key', async () => {
    assert.equal((await api.ping()).status, 'ok');
    assert.equal((await api.getLicense()).license.valid, true);
    assert.equal((await body(await raw('ping', auth))).status, 'ok');
    const hex = `enc:${Buffer.from(USER.password).toString('hex')}`;
    assert.equal((await body(await raw('ping.view', { ...auth, p: hex }))).status, 'ok');
    const byKey = new SubsonicAPI({ url: base, auth: { apiKey: USER.api_key } });
    assert.equal((await byKey.ping()).status, 'ok');
    const extensions = (await api.getOpenSubsonicExtensions()).openSubsonicExtensions.map((e) => e.name);
    for (const name of ['formPost', 'apiKeyAuthentication', 'songLyrics']) assert.ok(extensions.includes(name), name);
    // formPost: the same request as a form body.
    const form = await fetch(`${base}/rest/ping.view`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(auth).toString(),
    });
    assert.equal((await body(form)).status, 'ok');
  });

  it("answers bad credentials, versions and methods with the spec's codes, the wrong ones late and logged", async () => {
    const cases: Array<[Record<string, string>, number]> = [
      [{ ...auth, p: 'wrong' }, 40],
      [{ ...auth, u: 'mallory' }, 40],
      [{ v: '1.16.1', c: 'x', f: 'json' }, 10],
      [{ ...auth, p: '', t: 'abc', s: 'salt' }, 40],
      [{ ...auth, apiKey: USER.api_key }, 43],
      [{ apiKey: 'not-a-key-of-anyone', v: '1.16.1', c: 'x', f: 'json' }, 44],
      [{ ...auth, v: '2.0.0' }, 30],
      [{ ...auth, v: '1.17.0' }, 30],
      [{ ...auth, v: '0.9.0' }, 20],
      [{ ...auth, v: '' }, 10],
      [{ ...auth, c: '' }, 10],
    ];
    for (const [query, code] of cases) {
      const started = performance.now();
      const answer = await body(await raw('ping', query));
      assert.equal(answer.status, 'failed', JSON.stringify(query));
      assert.equal(answer.error?.code, code, JSON.stringify(query));
      if (code === 40 || code === 44)
        assert.ok(performance.now() - started >= 400, 'a wrong password is answered late');
    }
    // Each refusal on the line a wrong TCP password has: README's fail2ban filter takes it.
    const refusals = log.lines.filter((line) => /password refused for 127\.0\.0\.1 port \d+$/.test(line));
    assert.equal(refusals.length, 4, log.lines.join('\n'));
    const unknown = await body(await raw('noSuchMethod', auth));
    assert.equal(unknown.error?.code, 0);
    const podcasts = await body(await raw('getPodcasts.view', auth));
    assert.deepEqual([podcasts.error?.code, /podcasts/.test(podcasts.error?.message ?? '')], [0, true]);
    // XML, the default.
    const xml = await (await raw('ping', { ...auth, f: 'xml', p: 'wrong' })).text();
    assert.match(
      xml,
      /<subsonic-response xmlns="http:\/\/subsonic.org\/restapi" status="failed" version="1.16.1"[^>]*><error code="40" message="wrong username or password"\/><\/subsonic-response>/,
    );
  });

  it("browses by tags as the library is: artists, their albums, an album's songs in order, genres", async () => {
    const { artists } = await api.getArtists();
    const names = (artists.index ?? []).flatMap((index) => (index.artist ?? []).map((a) => a.name));
    assert.deepEqual(names.sort(), ['[Unknown Artist]', 'Arvo Pärt', 'Beyoncé', 'Björk', 'The Beatles'].sort());
    // "The Beatles" sorts under B, as the ignored articles say.
    const letterOf = (name: string) => artists.index?.find((index) => index.artist?.some((a) => a.name === name))?.name;
    assert.equal(letterOf('The Beatles'), 'B');
    const bjork = artists.index?.flatMap((index) => index.artist ?? []).find((a) => a.name === 'Björk');
    assert.ok(bjork);
    const { artist } = await api.getArtist({ id: bjork.id });
    assert.deepEqual(
      artist.album?.map((album) => [album.name, album.songCount, album.year]),
      [['Homogenic', 2, 1997]],
    );
    const { album } = await api.getAlbum({ id: artist.album?.[0]?.id as string });
    assert.deepEqual(
      album.song?.map((song) => [song.title, song.track, song.suffix, song.contentType]),
      [
        ['Hunter', 1, 'flac', 'audio/flac'],
        ['Jóga', 2, 'flac', 'audio/flac'],
      ],
    );
    const { song } = await api.getSong({ id: idOf('Björk/Homogenic/02 Jóga.flac') });
    assert.equal(song.path, 'Björk/Homogenic/02 Jóga.flac');
    assert.equal(song.size, readFileSync(path.join(music, 'Björk/Homogenic/02 Jóga.flac')).length);
    assert.equal(song.albumId, album.id);
    const { genres } = await api.getGenres();
    assert.deepEqual(
      genres.genre?.map((g) => [g.value, g.songCount, g.albumCount]),
      [
        ['Classical', 1, 1],
        ['Electronic', 2, 1],
        ['Pop', 2, 1],
        ['Rock', 1, 1],
      ],
    );
  });

  it("browses by folders: the music folder, its top folders as an index, a folder's children", async () => {
    const { musicFolders } = await api.getMusicFolders();
    assert.equal(musicFolders.musicFolder?.length, 1);
    const { indexes } = await api.getIndexes();
    const top = (indexes.index ?? []).flatMap((index) => index.artist ?? []);
    assert.deepEqual(top.map((a) => a.name).sort(), ['Arvo Pärt', 'Beyoncé', 'Björk', 'The Beatles'].sort());
    assert.deepEqual(
      indexes.child?.map((child) => child.path),
      ['loose.mp3'],
    );
    const beyonce = top.find((a) => a.name === 'Beyoncé');
    const { directory } = await api.getMusicDirectory({ id: beyonce?.id as string });
    assert.deepEqual(
      directory.child?.map((child) => [child.title, child.isDir]),
      [['Lemonade', true]],
    );
    const lemonade = await api.getMusicDirectory({ id: directory.child?.[0]?.id as string });
    assert.deepEqual(
      lemonade.directory.child?.map((child) => child.title),
      ['Pray You Catch Me', 'Hold Up'],
    );
    assert.equal((await body(await raw('getMusicDirectory', { ...auth, id: 'dir-../../etc' }))).error?.code, 70);
  });

  it('searches every word without case or accents, and lists albums of every type', async () => {
    const found = await api.search3({ query: 'bjork joga' });
    assert.deepEqual(
      found.searchResult3.song?.map((s) => s.title),
      ['Jóga'],
    );
    assert.deepEqual(
      (await api.search3({ query: 'beyonce' })).searchResult3.artist?.map((a) => a.name),
      ['Beyoncé'],
    );
    const all = await api.search3({ query: '""', songCount: 500 });
    assert.equal(all.searchResult3.song?.length, SUBSONIC_SONGS.length);
    const list = async (query: Record<string, string | number>) =>
      (await api.getAlbumList2(query as never)).albumList2.album?.map((album) => album.name) ?? [];
    assert.deepEqual(await list({ type: 'alphabeticalByName', size: 10 }), [
      '[Unknown Album]',
      'Abbey Road',
      'Homogenic',
      'Lemonade',
      'Tabula Rasa',
    ]);
    assert.deepEqual(await list({ type: 'byYear', fromYear: 1980, toYear: 2000 }), ['Tabula Rasa', 'Homogenic']);
    assert.deepEqual(await list({ type: 'byGenre', genre: 'Rock' }), ['Abbey Road']);
    assert.equal((await list({ type: 'random', size: 3 })).length, 3);
    // By artist, "The" aside: [Unknown Artist], Arvo Pärt, (The) Beatles, Beyoncé, Björk.
    assert.deepEqual(await list({ type: 'alphabeticalByArtist', size: 4 }), [
      '[Unknown Album]',
      'Tabula Rasa',
      'Abbey Road',
      'Lemonade',
    ]);
    assert.equal((await list({ type: 'newest', size: 2, offset: 1 })).length, 2);
    assert.equal((await body(await raw('getAlbumList2', { ...auth, type: 'byYear' }))).error?.code, 10);
    assert.equal((await body(await raw('getAlbumList2', { ...auth, type: 'sideways' }))).error?.code, 0);
    const random = await api.getRandomSongs({ size: 50, genre: 'Pop' });
    assert.deepEqual(random.randomSongs.song?.map((s) => s.title).sort(), ['Hold Up', 'Pray You Catch Me']);
    const byGenre = await api.getSongsByGenre({ genre: 'Electronic', count: 1, offset: 1 });
    assert.deepEqual(
      byGenre.songsByGenre.song?.map((s) => s.title),
      ['Jóga'],
    );
  });

  it('stars, rates and scrobbles into the store the TCP protocol reads, and sees what it writes', async () => {
    const hunter = idOf('Björk/Homogenic/01 Hunter.flac');
    const album = (await api.getSong({ id: hunter })).song.albumId as string;
    await api.star({ id: hunter, albumId: album } as never);
    const stickers = await tcp.command('sticker', 'get', 'song', hunter, 'favorite');
    assert.ok(stickers.ok, stickers.text);
    assert.match(stickers.fields[0]?.[1] ?? '', /^favorite=\d{4}-/);
    await api.setRating({ id: hunter, rating: 4 });
    assert.deepEqual((await tcp.command('sticker', 'get', 'song', hunter, 'rating')).fields, [['sticker', 'rating=4']]);
    await api.scrobble({ id: hunter });
    await api.scrobble({ id: hunter, time: Date.now() });
    assert.deepEqual((await tcp.command('sticker', 'get', 'song', hunter, 'playcount')).fields, [
      ['sticker', 'playcount=2'],
    ]);
    // And the other way: what a player of the TCP protocol keeps, the API shows.
    const fratres = idOf('Arvo Pärt/Tabula Rasa/01 Fratres.opus');
    assert.ok((await tcp.command('sticker', 'set', 'song', fratres, 'rating', '5')).ok);
    assert.ok((await tcp.command('played', fratres)).ok);
    const { song } = await api.getSong({ id: fratres });
    assert.deepEqual([song.userRating, song.playCount], [5, 1]);
    const starred = (await api.getStarred2()).starred2;
    assert.deepEqual(
      starred.song?.map((s) => s.title),
      ['Hunter'],
    );
    assert.deepEqual(
      starred.album?.map((a) => a.name),
      ['Homogenic'],
    );
    assert.deepEqual(
      (await api.getAlbumList2({ type: 'starred' })).albumList2.album?.map((a) => a.name),
      ['Homogenic'],
    );
    assert.deepEqual(
      (await api.getAlbumList2({ type: 'highest' })).albumList2.album?.map((a) => a.name),
      ['Tabula Rasa', 'Homogenic'],
    );
    assert.deepEqual(
      (await api.getAlbumList2({ type: 'frequent' })).albumList2.album?.map((a) => a.name),
      ['Homogenic', 'Tabula Rasa'],
    );
    assert.equal((await api.getAlbumList2({ type: 'recent' })).albumList2.album?.length, 2);
    await api.unstar({ id: hunter });
    assert.equal((await tcp.command('sticker', 'get', 'song', hunter, 'favorite')).code, 'not_found');
    assert.equal((await body(await raw('setRating', { ...auth, id: hunter, rating: '9' }))).error?.code, 0);
    assert.equal((await body(await raw('star', { ...auth, id: '999999' }))).error?.code, 70);
    await api.setRating({ id: hunter, rating: 0 });
    assert.equal((await tcp.command('sticker', 'get', 'song', hunter, 'rating')).code, 'not_found');
  });

  it("keeps playlists in the folder the TCP protocol's stored playlists are in, both ways", async () => {
    const ids = ['Beyoncé/Lemonade/02 Hold Up.mp3', 'Björk/Homogenic/01 Hunter.flac', 'loose.mp3'].map(idOf);
    const made = await api.createPlaylist({ name: 'Road trip', songId: ids } as never);
    assert.equal(made.status, 'ok');
    const listed = records(await tcp.command('listplaylists'), 'playlist').map((r) => r.get('playlist'));
    assert.deepEqual(listed, ['Road trip']);
    const files = (await tcp.command('listplaylist', 'Road trip')).fields.map(([, file]) => file);
    assert.deepEqual(files, ['Beyoncé/Lemonade/02 Hold Up.mp3', 'Björk/Homogenic/01 Hunter.flac', 'loose.mp3']);
    assert.ok((await tcp.command('playlistadd', 'Road trip', idOf('Arvo Pärt/Tabula Rasa/01 Fratres.opus'))).ok);
    const { playlists } = await api.getPlaylists();
    const trip = playlists.playlist?.find((p) => p.name === 'Road trip');
    assert.equal(trip?.songCount, 4);
    await api.updatePlaylist({ playlistId: trip?.id as string, songIndexToRemove: [0, 2], name: 'Long trip' } as never);
    const { playlist } = await api.getPlaylist({ id: playlistIdOf('Long trip') });
    assert.deepEqual(
      playlist.entry?.map((s) => s.title),
      ['Hunter', 'Fratres'],
    );
    assert.equal((await body(await raw('getPlaylist', { ...auth, id: 'pl-Li4vLi4vZXRj' }))).error?.code, 70);
    await api.deletePlaylist({ id: playlistIdOf('Long trip') });
    assert.deepEqual(records(await tcp.command('listplaylists'), 'playlist'), []);
  });

  it('streams the file as it is, seeks with ranges, answers HEAD and conditional requests', async () => {
    const file = 'Björk/Homogenic/01 Hunter.flac';
    const bytes = readFileSync(path.join(music, file));
    const whole = await api.stream({ id: idOf(file) });
    assert.equal(whole.status, 200);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);
    const part = await raw('stream', { ...auth, id: idOf(file) }, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(1000, 2000));
    const tail = await raw('download', { ...auth, id: idOf(file) }, { headers: { range: 'bytes=-100' } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 100));
    const past = await raw('stream', { ...auth, id: idOf(file) }, { headers: { range: `bytes=${bytes.length}-` } });
    assert.deepEqual([past.status, past.headers.get('content-range')], [416, `bytes */${bytes.length}`]);
    const head = await raw('download', { ...auth, id: idOf(file) }, { method: 'HEAD' });
    assert.deepEqual(
      [head.status, head.headers.get('content-length'), (await head.arrayBuffer()).byteLength],
      [200, String(bytes.length), 0],
    );
    const etag = head.headers.get('etag') as string;
    const again = await raw('stream', { ...auth, id: idOf(file) }, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    // The MP3 as mpg123 decodes it.
    const mp3 = path.join(work, 'streamed.mp3');
    writeFileSync(
      mp3,
      Buffer.from(await (await api.download({ id: idOf('Beyoncé/Lemonade/02 Hold Up.mp3') })).arrayBuffer()),
    );
    const pcm = execFileSync('mpg123', ['-q', '-s', mp3], { maxBuffer: 64 * 1024 * 1024 });
    const original = execFileSync('mpg123', ['-q', '-s', path.join(music, 'Beyoncé/Lemonade/02 Hold Up.mp3')], {
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.ok(pcm.equals(original));
  });

  it('transcodes to MP3 and Opus at the rate asked for, from an offset, to a length it promised', async () => {
    const id = idOf('Björk/Homogenic/02 Jóga.flac');
    const mp3 = path.join(work, 'joga.mp3');
    writeFileSync(mp3, Buffer.from(await (await api.stream({ id, format: 'mp3', maxBitRate: 128 })).arrayBuffer()));
    const probed = ffprobe(mp3);
    assert.deepEqual([probed['codec_name'], probed['bit_rate']], ['mp3', '128000']);
    assert.ok(Math.abs(Number(probed['duration']) - 3) < 0.1, probed['duration']);
    // Only a rate, below the file's: MP3, as Subsonic does.
    const slow = await api.stream({ id, maxBitRate: 96 });
    assert.equal(slow.headers.get('content-type'), 'audio/mpeg');
    writeFileSync(mp3, Buffer.from(await slow.arrayBuffer()));
    assert.equal(ffprobe(mp3)['bit_rate'], '96000');
    const opus = path.join(work, 'joga.opus');
    const answer = await api.stream({ id, format: 'ogg', maxBitRate: 64, timeOffset: 1, estimateContentLength: true });
    const sent = Buffer.from(await answer.arrayBuffer());
    assert.equal(Number(answer.headers.get('content-length')), sent.length);
    writeFileSync(opus, sent);
    const opusProbe = ffprobe(opus);
    assert.equal(opusProbe['codec_name'], 'opus');
    assert.ok(Math.abs(Number(opusProbe['duration']) - 2) < 0.1, opusProbe['duration']);
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', opus, '-f', 's16le', '-ac', '1', '-'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.ok(pcm.length > 48_000 * 2 * 1.9, 'two seconds of sound');
    // The rate: ~64 kb/s of Opus over two seconds, the zeros that fill the promise aside.
    const audioBytes = sent.length - (sent.length - sent.lastIndexOf(Buffer.from('OggS')));
    assert.ok(audioBytes < (2 * 64_000 * 1.3) / 8 + 8192, `${audioBytes} bytes`);
    assert.equal((await body(await raw('stream', { ...auth, id, format: 'wma' }))).error?.code, 0);
  });

  it('serves cover art, scaled when asked, and lyrics from a .lrc as synced lines', async () => {
    const hunter = idOf('Björk/Homogenic/01 Hunter.flac');
    const album = (await api.getSong({ id: hunter })).song.albumId as string;
    const art = await api.getCoverArt({ id: album });
    assert.equal(art.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await art.arrayBuffer()), cover);
    const small = path.join(work, 'small.png');
    writeFileSync(small, Buffer.from(await (await api.getCoverArt({ id: hunter, size: 60 })).arrayBuffer()));
    const size = execFileSync('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=width,height',
      '-of',
      'csv=p=0',
      small,
    ])
      .toString()
      .trim();
    assert.equal(size, '60,40');
    assert.equal((await body(await raw('getCoverArt', { ...auth, id: idOf('loose.mp3') }))).error?.code, 70);
    const lyrics = await api.getLyricsBySongId({ id: idOf('Beyoncé/Lemonade/01 Pray You Catch Me.mp3') });
    const list = (
      lyrics.lyricsList as unknown as {
        structuredLyrics: Array<{ synced: boolean; line: Array<{ start: number; value: string }> }>;
      }
    ).structuredLyrics;
    assert.equal(list[0]?.synced, true);
    assert.deepEqual(
      list[0]?.line.map((line) => [line.start, line.value]),
      LYRICS_LRC.trim()
        .split('\n')
        .map((line, i) => [500 + i * 1000, line.slice(10)]),
    );
  });

  it('shows a client that streams in the device list and in getNowPlaying, waking idle devices', async () => {
    const { client: watcher } = await TestClient.connect(daemon.port);
    try {
      watcher.send('idle devices\n');
      await api.stream({ id: idOf('The Beatles/Abbey Road/01 Come Together.ogg') }).then((r) => r.arrayBuffer());
      assert.deepEqual((await watcher.next()).fields, [['changed', 'devices']]);
      const devices = records(await watcher.command('lista dispositivos'), 'device');
      const phone = devices.find((d) => d.get('device') === 'subsonic-api-alice');
      assert.ok(phone, JSON.stringify(devices.map((d) => Object.fromEntries(d))));
      assert.match(phone.get('status') ?? '', /^playing The Beatles\/Abbey Road\/01 Come Together\.ogg 0:00\/0:03$/);
      const { nowPlaying } = await api.getNowPlaying();
      const entry = nowPlaying.entry?.find((e) => e.username === 'alice');
      assert.deepEqual([entry?.title, entry?.playerName], ['Come Together', 'subsonic-api']);
    } finally {
      watcher.close();
    }
  });

  it('keeps every id across a rescan that adds a song', async () => {
    const ids = async (): Promise<string[]> => {
      const { artists } = await api.getArtists();
      const artistIds = (artists.index ?? []).flatMap((index) => (index.artist ?? []).map((a) => a.id));
      const albums = (await api.getAlbumList2({ type: 'alphabeticalByName', size: 500 })).albumList2.album ?? [];
      const songs = (await api.search3({ query: '', songCount: 500 })).searchResult3.song ?? [];
      const { indexes } = await api.getIndexes();
      const folders = (indexes.index ?? []).flatMap((index) => (index.artist ?? []).map((a) => a.id));
      return [...artistIds, ...albums.map((a) => a.id), ...songs.map((s) => `${s.path}=${s.id}`), ...folders].sort();
    };
    const before = await ids();
    mkdirSync(path.join(music, 'Zz New'));
    execFileSync('lame', ['--quiet', path.join(work, 'tone-0.wav'), path.join(music, 'Zz New', 'new.mp3')]);
    await daemon.catalog.scan();
    const after = await ids();
    assert.ok(after.length > before.length, 'the new song is there');
    for (const id of before) assert.ok(after.includes(id), `${id} kept`);
  });

  it('keeps a play queue per user, to be taken up on another device', async () => {
    const ids = ['Björk/Homogenic/01 Hunter.flac', 'Björk/Homogenic/02 Jóga.flac'].map(idOf);
    await api.savePlayQueue({ id: ids, current: ids[1], position: 61_500 } as never);
    const { playQueue } = await api.getPlayQueue();
    assert.ok(playQueue);
    assert.deepEqual(
      [playQueue.entry?.map((e) => e.id), String(playQueue.current), playQueue.position, playQueue.username],
      [ids, ids[1], 61_500, 'alice'],
    );
    const bob = new SubsonicAPI({ url: base, auth: { username: 'bob', password: 'builder' } });
    assert.equal((await bob.getPlayQueue()).playQueue, undefined);
  });
});

const playlistIdOf = (name: string): string => `pl-${Buffer.from(name).toString('base64url')}`;
