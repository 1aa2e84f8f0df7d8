/**
 * The radio as an Icecast source, against Debian's real icecast2 and a real listener
 * (mpg123 and ffmpeg reading the mount over HTTP): the programme runs for Icecast with no UDP listener, the
 * audio decodes, the stream title follows the programme, and a wrong password is said once and
 * tried again with backoff while the rest of the daemon serves on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { DatagramType } from '../../common/datagram/codec.js';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/cli.js';
import { TestClient } from '../helpers/client.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { startIcecast, SOURCE_PASSWORD, type Icecast } from '../helpers/icecast.js';
import { captureLog, until } from '../helpers/log-capture.js';

const MOUNT = '/streamd.mp3';
let library: FixtureLibrary;
let icecast: Icecast;
before(async () => {
  library = makeFixtureLibrary();
  icecast = await startIcecast();
});
after(async () => {
  await icecast.stop();
  library.cleanup();
});

/** The `radio` answer's fields as a map (one Icecast target). */
async function radioFields(daemon: TestDaemon): Promise<Map<string, string>> {
  const { client } = await TestClient.connect(daemon.port);
  try {
    return new Map((await client.command('radio')).fields);
  } finally {
    client.close();
  }
}

/**
 * `seconds` of what a listener hears: mpg123 (or ffmpeg) decoding the mount to 16-bit stereo PCM
 * at 44.1 kHz. ffmpeg is told to probe half a second, not its default five (at 16 KB/s).
 */
function listen(url: string, seconds: number, player: 'mpg123' | 'ffmpeg' = 'mpg123'): Promise<Buffer> {
  const args =
    player === 'mpg123'
      ? ['-q', '-s', '-r', '44100', '--stereo', url]
      : [
          '-loglevel',
          'error',
          '-probesize',
          '32768',
          '-analyzeduration',
          '500000',
          '-i',
          url,
          '-f',
          's16le',
          '-ac',
          '2',
          '-ar',
          '44100',
          '-',
        ];
  return new Promise((resolve) => {
    const decoder = spawn(player, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    decoder.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    setTimeout(() => decoder.kill(), seconds * 1000);
    decoder.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

function rms(pcm: Buffer): number {
  let sum = 0;
  const samples = Math.floor(pcm.length / 2);
  for (let i = 0; i < samples; i++) sum += pcm.readInt16LE(2 * i) ** 2;
  return Math.sqrt(sum / Math.max(1, samples));
}

describe('the radio as an Icecast source', () => {
  it(
    'feeds the mount with no UDP listener: a listener decodes it, and the title follows the programme',
    { timeout: 120_000 },
    async () => {
      const log = captureLog();
      // A short WAV first (encoded to MP3 for the radio as for UDP listeners), then an MP3 of 41 s:
      // the title changes soon, and there is sound all along (a fixture that falls silent would not do).
      const radio = {
        playlist: ['other/same name.wav', 'lamejs-cbr.mp3'],
        icecast: [{ url: icecast.url(MOUNT), password: SOURCE_PASSWORD }],
      };
      const daemon = await startTestDaemon(library.root, { log, radio });
      try {
        const connected = await until(
          'connected',
          async () => ((await radioFields(daemon)).get('icecast_state') === 'connected' ? true : undefined),
          15_000,
        );
        assert.ok(connected);
        const answer = await radioFields(daemon);
        assert.equal(answer.get('radio'), 'playing', 'the programme runs for Icecast alone');
        assert.equal(answer.get('listeners'), '0');
        assert.equal(answer.get('icecast'), icecast.url(MOUNT), 'no password shown');
        const source = await until('the mount in Icecast’s status', async () => (await icecast.sources())[0]);
        assert.equal(source.server_name, 'streamd radio');
        assert.equal(source.listenurl, icecast.url(MOUNT));
        // What two listeners hear, mpg123 and ffmpeg at once: music, not silence, about as long as they listened.
        const heard = await Promise.all([listen(icecast.url(MOUNT), 3), listen(icecast.url(MOUNT), 3, 'ffmpeg')]);
        for (const [player, pcm] of [
          ['mpg123', heard[0]],
          ['ffmpeg', heard[1]],
        ] as const) {
          assert.ok(pcm.length > 44100 * 4 * 1.5, `${player}: ${(pcm.length / 44100 / 4).toFixed(1)} s decoded`);
          assert.ok(rms(pcm) > 50, `${player}: level ${rms(pcm).toFixed(0)}, not silence`);
        }
        // The title is the programme's song, and moves on with it.
        const titleNow = async (): Promise<string | undefined> => (await icecast.sources())[0]?.title;
        // The title is what the radio plays now: `Artist - Title`, or the title, or the file's name.
        const expected = async (): Promise<string> => {
          const radio = await radioFields(daemon);
          return [radio.get('artist'), radio.get('title') ?? radio.get('file')].filter(Boolean).join(' - ');
        };
        const first = await until('the title of the song playing', async () => {
          const title = await titleNow();
          return title !== undefined && title === (await expected()) ? title : undefined;
        });
        const next = await until(
          'the next song’s title',
          async () => {
            const title = await titleNow();
            return title !== undefined && title !== first && title === (await expected()) ? title : undefined;
          },
          20_000,
        );
        assert.notEqual(next, first);
        assert.ok(
          log.lines.some((line) => /icecast http:\/\/127\.0\.0\.1:\d+\/streamd\.mp3: connected \(PUT\)/.test(line)),
          log.lines.join('\n'),
        );
      } finally {
        await daemon.stop();
      }
    },
  );

  it(
    'a relay of the mount serves the same stream; the first Icecast killed and started again, the daemon reconnects and the relay’s listeners hear it again',
    { timeout: 180_000 },
    async () => {
      const master = await startIcecast();
      let relay: Icecast | undefined;
      let restarted: Icecast | undefined;
      const log = captureLog();
      const daemon = await startTestDaemon(library.root, {
        log,
        radio: {
          playlist: ['lamejs-cbr.mp3', 'lame/rate-48k.mp3'],
          icecast: [{ url: master.url(MOUNT), password: SOURCE_PASSWORD }],
        },
      });
      try {
        await until(
          'connected to the master',
          async () => ((await radioFields(daemon)).get('icecast_state') === 'connected' ? true : undefined),
          15_000,
        );
        relay = await startIcecast({ relay: { port: master.port, mount: MOUNT } });
        const onRelay = relay;
        await until('the mount on the relay', async () => (await onRelay.sources())[0], 30_000);
        const before = await listen(relay.url(MOUNT), 3);
        assert.ok(
          before.length > 44100 * 4 * 1.5 && rms(before) > 50,
          `the relay's listener hears ${(before.length / 176400).toFixed(1)} s at level ${rms(before).toFixed(0)}`,
        );

        await master.stop();
        const lost = await until('the daemon sees it go', async () => {
          const state = (await radioFields(daemon)).get('icecast_state');
          return state?.startsWith('retrying') ? state : undefined;
        });
        assert.match(lost, /^retrying in \d+ s/);
        restarted = await startIcecast({ port: master.port });
        await until(
          'connected again',
          async () => ((await radioFields(daemon)).get('icecast_state') === 'connected' ? true : undefined),
          90_000,
        );
        assert.ok(
          log.lines.some((line) => line.includes('connected again')),
          log.lines.join('\n'),
        );
        const after = await until(
          'the relay’s listeners hear the programme again',
          async () => {
            const heard = await listen(onRelay.url(MOUNT), 3);
            return heard.length > 44100 * 4 * 1.5 && rms(heard) > 50 ? heard : undefined;
          },
          120_000,
        );
        assert.ok(after.length > 0);
      } finally {
        await daemon.stop();
        await relay?.stop();
        await restarted?.stop();
        await master.stop();
      }
    },
  );

  it('a server that does not take PUT (an Icecast before 2.4) is fed with SOURCE', { timeout: 60_000 }, async () => {
    // No Icecast older than 2.4 is packaged here: a stand-in that answers as one does (PUT refused,
    // SOURCE taken with the same headers) and keeps what it is sent.
    const requests: string[] = [];
    let audio = Buffer.alloc(0);
    const old = net.createServer((socket) => {
      let head = '';
      let streaming = false;
      socket.on('data', (chunk: Buffer) => {
        if (streaming) return void (audio = Buffer.concat([audio, chunk]));
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        requests.push(head.slice(0, end));
        if (head.startsWith('PUT ')) return void socket.end('HTTP/1.0 405 Method Not Allowed\r\n\r\n');
        streaming = true;
        socket.write('HTTP/1.0 200 OK\r\n\r\n');
        audio = Buffer.from(head.slice(end + 4), 'latin1');
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    const port = (old.address() as net.AddressInfo).port;
    const log = captureLog();
    const daemon = await startTestDaemon(library.root, {
      log,
      radio: { icecast: [{ url: `http://127.0.0.1:${port}/streamd.mp3`, password: 'pw' }] },
    });
    try {
      await until(
        'connected',
        async () => ((await radioFields(daemon)).get('icecast_state') === 'connected' ? true : undefined),
        20_000,
      );
      await until('audio', () => (audio.length > 4096 ? true : undefined));
      assert.match(requests[0] ?? '', /^PUT \/streamd\.mp3 HTTP\/1\.1\r\n/);
      assert.match(requests[1] ?? '', /^SOURCE \/streamd\.mp3 HTTP\/1\.0\r\n/);
      for (const header of [
        'Authorization: Basic c291cmNlOnB3',
        'Content-Type: audio/mpeg',
        'Ice-Name: streamd radio',
        'Ice-Public: 0',
      ])
        assert.ok(requests[1]?.includes(`\r\n${header}`), header);
      assert.ok(audio[0] === 0xff && ((audio[1] as number) & 0xe0) === 0xe0, 'MP3 frames from the first byte');
      assert.ok(
        log.lines.some((line) => /connected( again)? \(SOURCE\)/.test(line)),
        log.lines.join('\n'),
      );
    } finally {
      await daemon.stop();
      old.close();
    }
  });

  it(
    'an Icecast not there at start: retried, the reason shown in radio and stats, the TCP side serving on',
    { timeout: 60_000 },
    async () => {
      const log = captureLog();
      const nowhere = `http://127.0.0.1:${await freePort()}/streamd.mp3`;
      const daemon = await startTestDaemon(library.root, {
        log,
        radio: { icecast: [{ url: nowhere, password: 'x' }] },
      });
      try {
        const state = await until('retrying', async () => {
          const value = (await radioFields(daemon)).get('icecast_state');
          return value?.startsWith('retrying') ? value : undefined;
        });
        assert.match(state, /^retrying in \d+ s \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/);
        const { client } = await TestClient.connect(daemon.port);
        assert.equal((await client.command('lista')).ok, true);
        const stats = new Map((await client.command('stats')).fields);
        assert.match(
          stats.get('icecast_1') ?? '',
          /^http:\/\/127\.0\.0\.1:\d+\/streamd\.mp3 retrying in \d+ s \(connect ECONNREFUSED/,
        );
        client.close();
      } finally {
        await daemon.stop();
      }
    },
  );

  it(
    'a wrong password: said once, tried again with backoff, and the daemon serves on, its UDP radio in real time',
    { timeout: 60_000 },
    async () => {
      const log = captureLog();
      const daemon = await startTestDaemon(library.root, {
        log,
        radio: { icecast: [{ url: icecast.url('/wrong.mp3'), password: 'not-it' }] },
      });
      try {
        const state = await until('retrying', async () => {
          const value = (await radioFields(daemon)).get('icecast_state');
          return value?.startsWith('retrying') ? value : undefined;
        });
        assert.match(state, /^retrying in \d+ s \(wrong user or password \(401\)\)$/);
        await new Promise((resolve) => setTimeout(resolve, 3500)); // tries at 1 s and 2 s more
        const said = log.lines.filter((line) => line.includes('wrong user or password'));
        assert.equal(said.length, 1, said.join('\n'));
        assert.equal((await radioFields(daemon)).get('radio'), 'idle', 'no programme for nobody');
        const { client } = await TestClient.connect(daemon.port);
        assert.equal((await client.command('ping')).ok, true);
        client.close();
        // The UDP radio meanwhile: a listener gets the programme in real time.
        const listener = await UdpPeer.open(daemon.udpPort);
        try {
          await listener.listen('kitchen');
          await listener.until(() => listener.of(DatagramType.AUDIO).length > 0);
          const from = listener.of(DatagramType.AUDIO).length;
          await new Promise((resolve) => setTimeout(resolve, 3000));
          // Real time by the media clock the datagrams carry (ms in their position), whatever the song's frame length.
          const audio = listener.of(DatagramType.AUDIO).slice(from);
          const span = (audio.at(-1)?.position ?? 0) - (audio[0]?.position ?? 0);
          assert.ok(span > 2500, `${span} ms of programme in 3 s while the Icecast target fails`);
        } finally {
          listener.close();
        }
      } finally {
        await daemon.stop();
      }
    },
  );
});
