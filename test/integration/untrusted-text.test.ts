/**
 * Text from clients and from the library that reaches other people's screens and lookups: device
 * status with controls, separators or bidi overrides is refused; song names compare in NFC.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';

let library: FixtureLibrary;
let daemon: TestDaemon;

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root);
});
after(async () => {
  await daemon.stop();
  library.cleanup();
});

async function connect(): Promise<TestClient> {
  return (await TestClient.connect(daemon.port)).client;
}

describe('text that would reach other screens', () => {
  const tricks: Array<[string, string]> = [
    ['a C1 CSI (U+009B)', 'playing \u009b2J'],
    ['a bidi override (U+202E)', 'playing \u202eevil.mp3'],
    ['a bidi isolate (U+2066)', 'playing \u2066x'],
    ['a line separator (U+2028)', 'playing a\u2028status: forged'],
    ['a paragraph separator (U+2029)', 'playing a\u2029b'],
    ['DEL and C1 NEL (U+0085)', 'playing a\u0085b'],
  ];
  for (const [what, status] of tricks) {
    it(`refuses a status holding ${what}, and other devices never see it`, async () => {
      const sender = await connect();
      const watcher = await connect();
      try {
        await sender.line('hello trickster');
        assert.equal((await sender.line(`att status ${status}`)).code, 'bad_argument');
        const list = await watcher.line('lista dispositivos');
        const mine = list.fields.filter(([key]) => key === 'status').map(([, value]) => value);
        assert.ok(
          mine.every((value) => !/[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(value)),
          mine.join(' | '),
        );
        assert.equal((await sender.line('att status playing fine ção ♪')).ok, true, 'ordinary text still goes');
      } finally {
        sender.close();
        watcher.close();
      }
    });
  }
});

describe('Unicode normalization of song names', () => {
  const file = 'Ártist/Ålbum/01 Canção – tagged.mp3';
  for (const [what, name] of [
    ['the path in NFD', file.normalize('NFD')],
    ['the name in NFD, any case', '01 CANÇÃO – TAGGED'.normalize('NFD')],
    ['the path in NFC', file.normalize('NFC')],
  ] as const) {
    it(`finds the song by ${what}`, async () => {
      const client = await connect();
      try {
        const answer = await client.command('download', name, 0, 0);
        assert.equal(answer.ok, true, answer.text);
        assert.equal(answer.fields.find(([key]) => key === 'file')?.[1], file);
      } finally {
        client.close();
      }
    });
  }
});
