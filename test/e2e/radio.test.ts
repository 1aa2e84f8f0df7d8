import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlockCache } from '../../tui/cache/block-cache.js';
import { peak, pulseNullSink, type PulseNullSink } from '../helpers/audio-env.js';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';
import { lossyRelay } from '../helpers/lossy-relay.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const LOSS = 0.1;
let fixtures: FixtureLibrary;
let daemon: TestDaemon;
let pulse: PulseNullSink;
const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-radio-'));

before(async () => {
  fixtures = makeFixtureLibrary();
  pulse = await pulseNullSink();
  daemon = await startTestDaemon(fixtures.root, { radio: { playlist: ['lamejs-cbr.mp3', 'lame/vbr-xing.mp3'] } });
});
after(async () => {
  await daemon.stop();
  pulse.stop();
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const figure = (screen: string, pattern: RegExp): number => {
  const m = pattern.exec(screen);
  assert.ok(m, `${pattern} on screen:\n${screen}`);
  return Number(m[1]);
};
const clockOf = (screen: string): number => {
  const m = /(\d+):(\d\d) \/ 0:4\d/.exec(screen);
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
};

describe('streamtui listening to the radio through a lossy relay (PulseAudio null sink)', () => {
  it('keeps playing at 10% loss, charts the loss, and its figure matches what the relay dropped', async () => {
    // Exactly 10% of every run of audio datagrams dropped, 5% held back 40 ms (reordered), 3% sent twice.
    const relay = await lossyRelay(
      { upstreamPort: daemon.udpPort },
      { loss: LOSS, pattern: 'even', reorder: 0.05, delayMs: 40, duplicate: 0.03, seed: 5 },
    );
    const dir = mkdtempSync(path.join(work, 'tty-'));
    const recording = await pulse.record();
    const tui = Tmux.start(
      dir,
      [
        ...testStreamtui(),
        '--port',
        String(daemon.port),
        '--udp-port',
        String(relay.port),
        '--name',
        'listener',
        '--cache-dir',
        path.join(dir, 'cache'),
        '--audio',
        'speaker',
      ],
      {
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        STREAMTUI_LOG: path.join(dir, 'player.log'),
        NCURSES_NO_UTF8_ACS: '1',
        ...pulse.env,
      },
      110,
      34,
    );
    try {
      await tui.waitFor(/lamejs-cbr/);
      const startedAt = recording.seconds();
      tui.keys('R');
      await tui.waitFor(/Radio[^]*lamejs-cbr\.mp3/, 10_000);
      const early = clockOf(await tui.waitFor(/\d:\d\d \/ 0:4\d/));
      await sleep(12_000);
      const screen = tui.screen();
      // The chart (blessed-contrib's braille line with its axis labels) and the figure beside it.
      assert.match(screen, /loss \d+\.\d%/);
      assert.match(screen, /-60s/, 'the chart’s time axis');
      assert.match(screen, /[⡀-⣿]/, 'the chart’s line');
      const shown = figure(screen, / loss (\d+\.\d)% /);
      assert.ok(Math.abs(shown - LOSS * 100) <= 1, `loss on screen ${shown}% (relay dropped ${LOSS * 100}%)`);
      assert.match(screen, /recv \d+ lost \d+ late \d+ dup \d+/);
      assert.ok(
        figure(screen, /late (\d+)/) > 0 && figure(screen, /dup (\d+)/) > 0,
        'late and duplicate datagrams counted',
      );
      assert.ok(clockOf(screen) >= early + 10, `the radio plays on (${early} s, then ${clockOf(screen)} s)`);
      assert.match(screen, /\d+ listening/, 'the listener count from the daemon');
      const endedAt = recording.seconds();
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
      // q said LEAVE (through the relay): the daemon stops sending now, not after its 15 s listener_timeout.
      await until(
        'the daemon to forget the listener',
        () => (daemon.server.services.radio.status().listeners === 0 ? true : undefined),
        3000,
      );
      // The summary printed after the terminal is restored, against what the relay really did.
      const summary = await tui.waitFor(/udp: received \d+, lost \d+ \((\d+\.\d)%\)/);
      const lostShare = figure(summary, /lost \d+ \((\d+\.\d)%\)/);
      const injected = (100 * relay.counts.dropped) / relay.counts.audio;
      assert.ok(
        Math.abs(lostShare - injected) <= 1,
        `summary ${lostShare}% lost, relay dropped ${injected.toFixed(1)}%`,
      );
      // Sound came out all along: every half second of the 12 s has music in it (a lost frame is
      // 26 ms of silence, not a stop).
      const pcm = await recording.stop();
      const second = 44100 * 4;
      const from = Math.round((startedAt + 3) * second);
      const to = Math.round(Math.min(endedAt, recording.seconds()) * second);
      let quiet = 0;
      let windows = 0;
      for (let at = from; at + second / 2 <= to; at += second / 2, windows++)
        if (peak(pcm.subarray(at, at + second / 2)) < 500) quiet++;
      assert.ok(windows >= 16, `${windows} half-seconds recorded`);
      assert.equal(quiet, 0, `${quiet} of ${windows} half-seconds silent`);
    } finally {
      tui.kill();
      relay.close();
    }
  });

  it('--transport udp: plays a song fetched over UDP and caches it byte-identical to a TCP download', async () => {
    const dir = mkdtempSync(path.join(work, 'tty-'));
    const cacheDir = path.join(dir, 'cache');
    const tui = Tmux.start(
      dir,
      [
        ...testStreamtui(),
        '--port',
        String(daemon.port),
        '--udp-port',
        String(daemon.udpPort),
        '--transport',
        'udp',
        '--name',
        'udp-fetcher',
        '--cache-dir',
        cacheDir,
        '--audio',
        'null',
      ],
      {
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        STREAMTUI_LOG: path.join(dir, 'player.log'),
        NCURSES_NO_UTF8_ACS: '1',
      },
      110,
      34,
    );
    try {
      await tui.waitFor(/Second Encoder - Variable/);
      tui.keys('/', 'V', 'a', 'r', 'i');
      await tui.waitFor(/Library: \/Vari/);
      tui.keys('Enter');
      // One Enter closes the search and keeps the match selected; it does not play it.
      const kept = await tui.waitFor(/Library \(\d+\)/);
      assert.match(kept, />.*Second Encoder - Variable/, 'the match is selected');
      assert.match(kept, /Stopped/, 'and not played');
      tui.keys('Enter');
      await tui.waitFor(/Playing\s+Second Encoder - Variable[^]*0:0[1-9] \//, 15_000);
      await tui.waitFor(/Variable\s+\d:\d\d ●/, 20_000);
      assert.match(tui.screen(), /recv \d+ lost 0/, 'the chart’s figures are about the UDP transfer');
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
    }
    const { client } = await TestClient.connect(daemon.port);
    const viaTcp = await client.command('download', 'lame/vbr-xing.mp3');
    client.close();
    const etag = viaTcp.fields.find(([key]) => key === 'etag')?.[1] as string;
    const cache = new BlockCache(cacheDir, 1024 ** 3);
    cache.init();
    for (const block of viaTcp.blocks)
      assert.deepEqual(await cache.read(etag, block.header.index), block.data, `block ${block.header.index}`);
  });
});
