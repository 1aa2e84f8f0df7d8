/** The flags a quitting player hands to the player without a screen it starts (tui/app/headless-flags.ts), table-tested. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headlessFlags } from '../../tui/app/headless-flags.js';

const OWN = ['--headless', '--taking-over', '--name', 'desk headless', '--no-calls'];

describe("the player without a screen's flags", () => {
  const table: Array<[string, Record<string, string | boolean | undefined>, string[]]> = [
    ['none given', {}, []],
    [
      'where the daemon is and how songs come',
      { host: 'music.lan', port: '7000', 'udp-port': '7001', transport: 'udp', 'jitter-ms': '80', user: 'ana' },
      [
        '--host',
        'music.lan',
        '--port',
        '7000',
        '--udp-port',
        '7001',
        '--transport',
        'udp',
        '--jitter-ms',
        '80',
        '--user',
        'ana',
      ],
    ],
    [
      'how it sounds, and what runs at each song',
      {
        audio: 'pulse',
        'latency-ms': '120',
        replaygain: 'album',
        'replaygain-preamp': '-3',
        'on-song-change': 'notify-send x',
      },
      [
        '--audio',
        'pulse',
        '--latency-ms',
        '120',
        '--replaygain',
        'album',
        '--replaygain-preamp',
        '-3',
        '--on-song-change',
        'notify-send x',
      ],
    ],
    [
      'folders and the settings file',
      { 'cache-dir': '/c', 'state-dir': '/s', config: '/etc/streamtui.json', 'no-mpris': true },
      ['--cache-dir', '/c', '--state-dir', '/s', '--config', '/etc/streamtui.json', '--no-mpris'],
    ],
    [
      "not this run's own, the screen's, or what would keep the music from being handed to it",
      {
        name: 'desk',
        password: 'secret',
        save: true,
        follow: 'kitchen',
        'keep-playing': 'always',
        'start-daemon': true,
        'log-file': '/l',
        'queue-file': '/q',
        'no-remote-control': true,
        mic: 'alsa',
        headless: true,
        'taking-over': true,
        'no-calls': true,
        help: false,
        version: undefined,
      },
      [],
    ],
  ];
  for (const [what, given, handedOn] of table)
    it(what, () => assert.deepEqual(headlessFlags(given, 'desk headless'), [...OWN, ...handedOn]));
});
