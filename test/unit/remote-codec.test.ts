/** Remote control's words and records (common/protocol/remote.ts), table-tested. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatPlayerReport,
  MAX_REMOTE_SONGS,
  parsePlayerReport,
  parseRemote,
  parseRemoteRecord,
  remoteFields,
  remoteWords,
  songRuns,
  type RemoteCommand,
} from '../../common/protocol/remote.js';
import { formatCommand } from '../../common/protocol/args.js';

describe('remote commands', () => {
  const read: Array<[string[], RemoteCommand]> = [
    [['play'], { action: 'play', songs: [] }],
    [['PLAY', 'A/1.mp3', '12'], { action: 'play', songs: ['A/1.mp3', '12'] }],
    [['add', 'x y.flac'], { action: 'add', songs: ['x y.flac'] }],
    [['pause'], { action: 'pause' }],
    [['resume'], { action: 'resume' }],
    [['toggle'], { action: 'toggle' }],
    [['stop'], { action: 'stop' }],
    [['next'], { action: 'next' }],
    [['previous'], { action: 'previous' }],
    [['seek', '0'], { action: 'seek', seconds: 0 }],
    [['seek', '61.25'], { action: 'seek', seconds: 61.25 }],
    [['volume', '0'], { action: 'volume', percent: 0 }],
    [['volume', '100'], { action: 'volume', percent: 100 }],
    [['move', '3', '0'], { action: 'move', from: 3, to: 0 }],
    [['delete', '7'], { action: 'delete', pos: 7 }],
    [['clear'], { action: 'clear' }],
    [['start', '2', '61000'], { action: 'start', pos: 2, positionMs: 61000, atMs: undefined }],
    [['start', '0', '0', '123456.5'], { action: 'start', pos: 0, positionMs: 0, atMs: 123456.5 }],
    [['send', 'Living Room'], { action: 'send', to: 'Living Room' }],
    [['send', 'Ku\u0308che'], { action: 'send', to: 'Küche' }],
    [['follow', 'kitchen'], { action: 'follow', leader: 'kitchen' }],
    [['FOLLOW', 'Living Room'], { action: 'follow', leader: 'Living Room' }],
  ];
  for (const [words, command] of read)
    it(`reads ${words.join(' ')}`, () => assert.deepEqual(parseRemote(words), command));

  const refused: string[][] = [
    [],
    ['dance'],
    ['add'],
    ['pause', 'now'],
    ['seek'],
    ['seek', '-1'],
    ['seek', '1e3'],
    ['seek', '1.2345'],
    ['volume', '101'],
    ['volume', '-5'],
    ['volume', '50%'],
    ['move', '1'],
    ['move', '1', 'x'],
    ['delete', '-1'],
    ['start', '1'],
    ['start', '1', '2', 'soon'],
    ['send'],
    ['send', 'a', 'b'],
    ['send', ' lead'],
    ['send', 'x'.repeat(65)],
    ['send', 'a/b'],
    ['follow'],
    ['follow', 'a', 'b'],
    ['follow', 'a/b'],
    ['play', ...Array.from({ length: MAX_REMOTE_SONGS + 1 }, (_, i) => String(i + 1))],
    ['toString'],
    ['__proto__'],
  ];
  for (const words of refused)
    it(`refuses ${words.slice(0, 3).join(' ') || '(nothing)'}`, () =>
      assert.equal(typeof parseRemote(words), 'string'));

  it('comes back whole from its record', () => {
    for (const [, command] of read) {
      const lines: Array<[string, string]> = [
        ['remote', '9'],
        ['from', 'Living Room'],
        ...remoteFields(command).map(([key, value]): [string, string] => [key, String(value)]),
      ];
      assert.deepEqual(parseRemoteRecord(lines), { id: 9, from: 'Living Room', command });
    }
  });

  it('is written in the words it is read from', () => {
    for (const [, command] of read) assert.deepEqual(parseRemote(remoteWords(command)), command);
  });

  it('says why a record of an action it does not know is skipped', () => {
    const record = parseRemoteRecord([
      ['remote', '4'],
      ['from', 'phone'],
      ['action', 'shuffle'],
    ]);
    assert.match(record as string, /remote command 4 from phone: the action is one of/);
  });
});

describe('att player', () => {
  it('reads any of its parts, in any order', () => {
    assert.deepEqual(parsePlayerReport(['control', 'yes']), { control: true });
    assert.deepEqual(parsePlayerReport(['queue', '12', 'volume', '80', 'control', 'no']), {
      queueLength: 12,
      volume: 80,
      control: false,
    });
    assert.deepEqual(formatPlayerReport({ volume: 80, queueLength: 12, control: false }), [
      'volume',
      '80',
      'queue',
      '12',
      'control',
      'no',
    ]);
    assert.deepEqual(parsePlayerReport(['pos', '3']), { queuePos: 3 });
    assert.deepEqual(parsePlayerReport(['pos', 'none']), { queuePos: null });
    assert.deepEqual(formatPlayerReport({ queuePos: 0 }), ['pos', '0']);
    assert.deepEqual(formatPlayerReport({ queuePos: null }), ['pos', 'none']);
  });
  for (const words of [
    [],
    ['volume'],
    ['volume', '101'],
    ['control', 'maybe'],
    ['queue', '-1'],
    ['colour', 'red'],
    ['pos', '-1'],
    ['pos', 'first'],
  ])
    it(`refuses ${words.join(' ') || '(nothing)'}`, () => assert.equal(typeof parsePlayerReport(words), 'string'));
});

describe('song runs (a song list cut into command lines)', () => {
  const lineOf = (prefix: string[], run: string[]): number =>
    Buffer.byteLength(formatCommand(prefix[0] as string, ...prefix.slice(1), ...run));
  const prefix = ['remote', 'Living Room', 'add'];
  const cases: Array<[string, string[], number[]]> = [
    ['none: no line', [], []],
    ['a few short ones: one line', ['a.mp3', 'b.mp3', 'c.mp3'], [3]],
    ['450 short ones: 200 a line at most', Array.from({ length: 450 }, (_, i) => `${i}.mp3`), [200, 200, 50]],
    [
      '100 long paths (with spaces, quoted): as many a line as fit in 4096 bytes',
      Array.from(
        { length: 100 },
        (_, i) => `Some Artist/Some Long Album Title (Deluxe)/${String(i).padStart(2, '0')} Tïtle.flac`,
      ),
      [67, 33],
    ],
  ];
  for (const [name, songs, sizes] of cases) {
    it(name, () => {
      const runs = songRuns(songs, prefix);
      assert.deepEqual(
        runs.map((run) => run.length),
        sizes,
      );
      assert.deepEqual(runs.flat(), songs, 'every song, in order');
      for (const run of runs) assert.ok(lineOf(prefix, run) <= 4096, `${lineOf(prefix, run)} bytes`);
    });
  }

  it('a path longer than a line goes alone (the daemon says why it refuses it)', () => {
    const long = 'x'.repeat(5000);
    assert.deepEqual(
      songRuns(['a', long, 'b'], prefix).map((run) => run.length),
      [1, 1, 1],
    );
  });
});
