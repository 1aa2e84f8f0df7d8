import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIXTURE_SONGS, makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { captureLog, until } from '../helpers/log-capture.js';

let library: FixtureLibrary;
let daemon: TestDaemon;
const open: TestClient[] = [];

async function connect(): Promise<TestClient> {
  const { client, greeting } = await TestClient.connect(daemon.port);
  assert.equal(greeting.ok, true);
  assert.equal(greeting.text, 'streamd test');
  open.push(client);
  return client;
}

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root);
});
after(async () => {
  for (const client of open) client.close();
  await daemon.stop();
  library.cleanup();
});

describe('lista', () => {
  for (const alias of ['lista', 'list', '7', 'LISTA']) {
    it(`'${alias}' lists every servable song with the required keys`, async () => {
      const client = await connect();
      const response = await client.line(alias);
      assert.equal(response.ok, true);
      const songs = records(response, 'song');
      assert.deepEqual(
        songs.map((s) => s.get('file')).sort(),
        [...FIXTURE_SONGS.map((s) => s.file), 'link-in.mp3'].sort(),
      );
      for (const song of songs) {
        for (const key of [
          'song',
          'file',
          'duration',
          'format',
          'sample_rate',
          'channels',
          'bytes',
          'blocks',
          'etag',
        ]) {
          assert.ok(song.has(key), `${song.get('file')} has ${key}`);
        }
        assert.match(song.get('etag') as string, /^[0-9a-f]{16}$/);
        assert.match(song.get('duration') as string, /^\d+\.\d{3}$/);
      }
      const tagged = songs.find((s) => s.get('file') === 'Ártist/Ålbum/01 Canção – tagged.mp3');
      assert.equal(tagged?.get('title'), 'Canção');
      assert.equal(tagged?.get('artist'), 'Ártist');
      assert.equal(tagged?.get('album'), 'Ålbum');
      assert.equal(tagged?.get('track'), '1', 'track 1 of 9: the number');
      assert.equal(tagged?.get('year'), '2019');
      assert.equal(songs.find((s) => s.get('file') === 'lamejs-cbr.mp3')?.get('track'), undefined, 'no tag, no key');
      for (const fixture of FIXTURE_SONGS) {
        const song = songs.find((s) => s.get('file') === fixture.file);
        assert.equal(song?.get('sample_rate'), String(fixture.sampleRate), fixture.file);
        assert.equal(song?.get('channels'), String(fixture.channels), fixture.file);
        assert.equal(song?.get('blocks'), String(fixture.blocks), fixture.file);
        assert.equal(song?.get('format'), fixture.format);
      }
    });
  }
});

describe('devices and status', () => {
  for (const alias of ['lista dispositivos', 'lista_dispositivos', 'devices', '10']) {
    it(`'${alias}' lists connected devices`, async () => {
      const client = await connect();
      const devices = records(await client.line(alias), 'device');
      assert.ok(devices.length >= 1);
      for (const device of devices) {
        for (const key of ['device', 'address', 'status', 'connected', 'updated']) assert.ok(device.has(key));
        assert.match(device.get('connected') as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    });
  }

  it('hello names the device; att status and its aliases set its status; a device goes when its connections do', async () => {
    const a = await connect();
    const b = await connect();
    assert.equal((await a.line('hello living-room')).ok, true);
    assert.equal((await b.line('hello living-room')).ok, true);
    for (const [line, status] of [
      ['att status playing song.mp3 1:23/3:35', 'playing song.mp3 1:23/3:35'],
      ['att_status paused song.mp3 1:30/3:35', 'paused song.mp3 1:30/3:35'],
      ['status idle', 'idle'],
      ['status ção ♪ "quoted"', 'ção ♪ "quoted"'],
    ] as const) {
      assert.equal((await b.line(line)).ok, true);
      const mine = records(await a.line('devices'), 'device').filter((d) => d.get('device') === 'living-room');
      assert.equal(mine.length, 1);
      assert.equal(mine[0]?.get('status'), status);
    }
    a.close();
    await a.closed;
    const still = records(await b.line('devices'), 'device').find((d) => d.get('device') === 'living-room');
    assert.equal(still?.get('status'), 'ção ♪ "quoted"');
    const watcher = await connect();
    b.close();
    await b.closed;
    // The daemon sees the close a moment after the client does: wait for the push that says so.
    await watcher.line('idle devices');
    await until(
      'living-room gone',
      async () =>
        !records(await watcher.line('devices'), 'device').some((d) => d.get('device') === 'living-room') || undefined,
    );
  });

  it('takes names in any script and with spaces (quoted), kept in one Unicode form', async () => {
    const room = await connect();
    const kitchen = await connect();
    const japanese = await connect();
    assert.equal((await room.line('register "Living Room" - 4000')).ok, true);
    assert.equal((await kitchen.line('hello Ku\u0308che')).ok, true, 'a decomposed ü');
    assert.equal((await japanese.line("hello 台所の_O'Brien")).ok, true);
    const names = records(await room.line('devices'), 'device').map((d) => d.get('device'));
    for (const name of ['Living Room', 'K\u00fcche', "台所の_O'Brien"])
      assert.ok(names.includes(name), names.join(', '));
    const found = records(await room.line('get "living room"'), 'device')[0];
    assert.equal(found?.get('calls'), 'yes');
    assert.equal(records(await room.line('get K\u00fcche'), 'device')[0]?.get('device'), 'K\u00fcche');
    const refused = await room.line('hello "Living/Room"');
    assert.equal(refused.code, 'bad_argument');
    assert.match(refused.text, /letters, digits, spaces/, 'the rule in words');
    for (const client of [room, kitchen, japanese]) client.close();
  });

  const badStatus: Array<[string, string]> = [
    ['att status', 'bad_argument'],
    [`att status ${'x'.repeat(257)}`, 'bad_argument'],
    ['att status tab\there', 'bad_argument'],
    ['att status bell\x07', 'bad_argument'],
    ['hello', 'bad_argument'],
    ['hello two words', 'bad_argument'],
    ['hello bad/name', 'bad_argument'],
    ['hello "a:b"', 'bad_argument'],
    ['hello " leading"', 'bad_argument'],
    ['hello "trailing "', 'bad_argument'],
    ['hello "tab\there"', 'bad_argument'],
    [`hello ${'n'.repeat(65)}`, 'bad_argument'],
  ];
  for (const [line, code] of badStatus) {
    it(`answers ${JSON.stringify(line.slice(0, 40))} with ${code} and lives on`, async () => {
      const client = await connect();
      const response = await client.line(line);
      assert.equal(response.code, code);
      assert.equal((await client.line('ping')).ok, true);
    });
  }

  it('accepts a status of exactly 256 characters, counted as characters', async () => {
    const client = await connect();
    assert.equal((await client.line(`att status ${'ç'.repeat(256)}`)).ok, true);
  });
});

describe('session commands', () => {
  for (const alias of ['quit', '9', 'exit', 'QUIT']) {
    it(`'${alias}' says goodbye and closes`, async () => {
      const client = await connect();
      const response = await client.line(alias);
      assert.deepEqual([response.ok, response.text], [true, 'goodbye']);
      await client.closed;
    });
  }

  it('help lists every command', async () => {
    const client = await connect();
    const response = await client.line('help');
    const names = response.fields.filter(([k]) => k === 'command').map(([, v]) => v);
    assert.deepEqual(names, [
      'lista',
      'download',
      'formats',
      'header',
      'lista dispositivos',
      'att status',
      'att playback',
      'att follow',
      'hello',
      'quit',
      'password',
      'ping',
      'time',
      'stats',
      'radio',
      'stream',
      'resend',
      'idle',
      'noidle',
      'register',
      'get',
      'disconnect',
      'call',
      'answer',
      'hangup',
      'calls',
      'sticker get',
      'sticker set',
      'sticker delete',
      'sticker list',
      'sticker find',
      'played',
      'stickers',
      'listplaylists',
      'listplaylist',
      'listplaylistinfo',
      'save',
      'playlistadd',
      'playlistdelete',
      'playlistmove',
      'playlistclear',
      'rename',
      'rm',
      'playqueue',
      'saveplayqueue',
      'att player',
      'att queue',
      'queue',
      'remote',
      'remotes',
      'readpicture',
      'albumart',
      'lyrics',
      'help',
    ]);
  });

  it('ping answers OK, and unknown commands the seed message', async () => {
    const client = await connect();
    assert.equal((await client.line('ping')).ok, true);
    const unknown = await client.line('frobnicate now');
    assert.equal(unknown.code, 'unknown_command');
    assert.equal(unknown.text, "unknown command 'frobnicate' (Comando Inexistente)");
  });

  it('answers pipelined commands in order, CR LF or LF', async () => {
    const client = await connect();
    client.send('ping\r\nlista\nfrobnicate\r\ndownload "Same Name.mp3"\nstats\n\nping\n');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await client.next());
    assert.equal(answers[0]?.ok, true);
    assert.equal(records(answers[1] as never, 'song').length, FIXTURE_SONGS.length + 1);
    assert.equal(answers[2]?.code, 'unknown_command');
    assert.equal(answers[3]?.blocks.length, 1);
    assert.ok(answers[4]?.fields.some(([k, v]) => k === 'catalog' && v === 'ready'));
    assert.equal(answers[5]?.ok, true);
  });

  it('answers everything a client sent before half-closing', async () => {
    const client = await connect();
    client.socket.end('ping\nlista\n');
    assert.equal((await client.next()).ok, true);
    assert.ok((await client.next()).fields.length > 0);
    await client.closed;
  });
});

describe('password', () => {
  let locked: TestDaemon;
  before(async () => {
    locked = await startTestDaemon(library.root, { password: 's3cret word' });
  });
  after(() => locked.stop());

  it('refuses all but password, ping, help and quit until the right secret', async () => {
    const { client } = await TestClient.connect(locked.port);
    open.push(client);
    for (const line of ['lista', 'devices', 'download 1', 'att status x', 'hello me', 'stats']) {
      assert.equal((await client.line(line)).code, 'permission', line);
    }
    assert.equal((await client.line('ping')).ok, true);
    assert.equal((await client.line('help')).ok, true);
    assert.equal((await client.line('password wrong')).code, 'permission');
    assert.equal((await client.line('password "s3cret wor"')).code, 'permission');
    assert.equal((await client.line('lista')).code, 'permission');
    assert.equal((await client.line('password "s3cret word"')).ok, true);
    assert.equal((await client.line('lista')).ok, true);
    assert.equal((await client.line('quit')).ok, true);
  });

  it('lets quit through while locked', async () => {
    const { client } = await TestClient.connect(locked.port);
    assert.equal((await client.line('quit')).text, 'goodbye');
    await client.closed;
  });
});

describe('password guessing', () => {
  it(
    'counts guesses per address, not per connection: 40 connections from one address get 10 checked',
    { timeout: 30_000 },
    async () => {
      const log = captureLog();
      const locked = await startTestDaemon(library.root, { password: 'right', log });
      const clients: TestClient[] = [];
      try {
        for (let i = 0; i < 40; i++)
          clients.push((await TestClient.connect(locked.port, '127.0.0.1', '127.0.0.20')).client);
        const answers = await Promise.all(clients.map((client) => client.line('password guess')));
        const checked = answers.filter((a) => a.text === 'wrong password').length;
        const unchecked = answers.filter((a) =>
          /too many wrong passwords: not checked; try again in \d+ s/.test(a.text),
        ).length;
        assert.deepEqual([checked, unchecked], [10, 30]);
        // The right one is not checked from that address either, meanwhile; from another it opens.
        const same = (await TestClient.connect(locked.port, '127.0.0.1', '127.0.0.20')).client;
        clients.push(same);
        assert.match((await same.line('password right')).text, /too many wrong passwords/);
        const other = (await TestClient.connect(locked.port, '127.0.0.1', '127.0.0.21')).client;
        clients.push(other);
        assert.equal((await other.line('password right')).ok, true);
        const refused = log.lines.filter((line) => /^warn password refused for 127\.0\.0\.20 port \d+$/.test(line));
        assert.equal(refused.length, 41, 'every refusal logged for fail2ban');
      } finally {
        for (const client of clients) client.close();
        await locked.stop();
      }
    },
  );

  it('makes each wrong password wait longer, closes after three, and logs each with the address', async () => {
    const log = captureLog();
    const locked = await startTestDaemon(library.root, { password: 'right', log });
    try {
      const { client } = await TestClient.connect(locked.port);
      const started = Date.now();
      // Pipelined, as a guesser would: the later ones wait behind the first's delay.
      client.send('password a\npassword b\npassword c\nping\n');
      const answers = [await client.next(), await client.next(), await client.next()];
      const elapsed = Date.now() - started;
      assert.deepEqual(
        answers.map((a) => a.code),
        ['permission', 'permission', 'permission'],
      );
      assert.match(answers[2]!.text, /3 times: closing/);
      assert.ok(elapsed >= 250 + 500 + 1000, `three wrong passwords took ${elapsed} ms`);
      await client.closed; // the ping behind them is never answered
      const refused = log.lines.filter((line) => /^warn password refused for 127\.0\.0\.1 port \d+$/.test(line));
      assert.equal(refused.length, 3, log.lines.join('\n'));
      const fresh = (await TestClient.connect(locked.port)).client;
      assert.equal((await fresh.line('password right')).ok, true, 'the right password still opens');
      fresh.close();
    } finally {
      await locked.stop();
    }
  });
});
