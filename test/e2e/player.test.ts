import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { filePcm, locate, peak, pulseNullSink, type PulseNullSink } from '../helpers/audio-env.js';
import { mpg123Pcm, soxPcm } from '../helpers/decode.js';
import { until } from '../helpers/log-capture.js';
import { records, TestClient } from '../helpers/client.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

let fixtures: FixtureLibrary;
const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-e2e-'));
let runs = 0;

before(() => {
  fixtures = makeFixtureLibrary();
});
after(() => {
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** A library of just these fixture songs, so that a song that ends is the last (playback stops). */
function libraryOf(...files: string[]): string {
  const dir = path.join(work, `lib${runs++}`);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    copyFileSync(path.join(fixtures.root, file), path.join(dir, file));
  }
  return dir;
}

function player(port: number, cacheDir: string, env: Record<string, string>, audio = 'speaker'): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [...testStreamtui(), '--port', String(port), '--name', 'tester', '--cache-dir', cacheDir, '--audio', audio],
    {
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      STREAMTUI_LOG: path.join(dir, 'player.log'),
      ...env,
    },
  );
}

async function quit(tui: Tmux): Promise<void> {
  tui.keys('q');
  assert.equal(await tui.exitCode(), 0, 'q exits 0');
  tui.kill();
}

describe('streamtui end to end (ALSA file PCM: every byte that was played)', () => {
  let daemon: TestDaemon;
  const cacheDir = path.join(work, 'cache-wav');
  before(async () => {
    daemon = await startTestDaemon(libraryOf('wav/code-16bit.wav'));
  });
  after(() => daemon.stop());

  it('plays a WAV song: the device got exactly its PCM; the blocks are cached', async () => {
    const alsa = filePcm();
    const tui = player(daemon.port, cacheDir, { HOME: alsa.home });
    try {
      const screen = await tui.waitFor(/wav\/code-16bit\.wav/);
      assert.match(screen, /┌─/, 'real box characters');
      assert.match(screen, /\*tester/, 'own device marked in the devices panel');
      tui.keys('Enter');
      const expected = soxPcm(path.join(fixtures.root, 'wav/code-16bit.wav'));
      await until(
        'the whole song on the device',
        () => (existsSync(alsa.output) && statSync(alsa.output).size >= expected.length ? true : undefined),
        20_000,
      );
      await tui.waitFor(/Stopped/);
      assert.ok(readFileSync(alsa.output).equals(expected), 'the device got the song byte for byte');
      await tui.waitFor(/code-16bit\.wav\s+0:33 ●/, 5000);
      await quit(tui);
    } finally {
      tui.kill();
      alsa.cleanup();
    }
  });

  it('plays the cached song with the daemon gone, offline', async () => {
    await daemon.stop();
    const alsa = filePcm();
    const tui = player(daemon.port, cacheDir, { HOME: alsa.home });
    try {
      await tui.waitFor(/offline/);
      await tui.waitFor(/code-16bit\.wav/);
      tui.keys('Enter');
      const expected = soxPcm(path.join(fixtures.root, 'wav/code-16bit.wav'));
      await until(
        'the song from the cache',
        () => (existsSync(alsa.output) && statSync(alsa.output).size >= expected.length ? true : undefined),
        20_000,
      );
      assert.ok(readFileSync(alsa.output).equals(expected));
      await quit(tui);
    } finally {
      tui.kill();
      alsa.cleanup();
      daemon = await startTestDaemon(libraryOf('wav/code-16bit.wav')); // for after()
    }
  });

  it('plays an MP3 (VBR, Xing header): what reached the device is the file as mpg123 decodes it, encoder delay and padding trimmed', async () => {
    const mp3 = await startTestDaemon(libraryOf('lame/vbr-xing.mp3'));
    const alsa = filePcm();
    const tui = player(mp3.port, path.join(work, 'cache-mp3'), { HOME: alsa.home });
    try {
      await tui.waitFor(/Variable/);
      tui.keys('Enter');
      const expected = mpg123Pcm(path.join(fixtures.root, 'lame/vbr-xing.mp3'), true);
      await until(
        'the whole song on the device',
        () => (existsSync(alsa.output) && statSync(alsa.output).size >= expected.length ? true : undefined),
        30_000,
      );
      await tui.waitFor(/Stopped/);
      const played = readFileSync(alsa.output);
      assert.equal(played.length, expected.length);
      let worst = 0;
      for (let at = 0; at < played.length; at += 2)
        worst = Math.max(worst, Math.abs(played.readInt16LE(at) - expected.readInt16LE(at)));
      assert.ok(worst <= 1, `samples differ from mpg123's by at most one step (rounding), saw ${worst}`);
      await quit(tui);
    } finally {
      tui.kill();
      alsa.cleanup();
      await mp3.stop();
    }
  });
});

describe('streamtui end to end (PulseAudio null sink: real time)', () => {
  let pulse: PulseNullSink;
  let daemon: TestDaemon;
  before(async () => {
    pulse = await pulseNullSink();
    daemon = await startTestDaemon(libraryOf('wav/code-16bit.wav'));
  });
  after(async () => {
    await daemon.stop();
    pulse.stop();
  });

  it('plays in real time, pauses into silence, seeks where it should, and tells the daemon', async () => {
    const song = soxPcm(path.join(fixtures.root, 'wav/code-16bit.wav'));
    const recording = await pulse.record();
    const tui = player(daemon.port, path.join(work, 'cache-pulse'), pulse.env, 'auto');
    try {
      await tui.waitFor(/code-16bit/);
      tui.keys('Enter');
      await tui.waitFor(/Playing[^]*0:0[2-4] \/ 0:33/);
      assert.match(tui.screen(), /\*tester\s+▶ wav\/code-16bit\.wav/, 'own status in the devices panel');
      assert.match(tui.screen(), /audio PulseAudio/, 'a PulseAudio server answers: played through it');
      const { client } = await TestClient.connect(daemon.port);
      const mine = records(await client.line('devices'), 'device').find((d) => d.get('device') === 'tester');
      client.close();
      assert.match(
        mine?.get('status') ?? '',
        /^playing wav\/code-16bit\.wav 0:0\d\/0:33$/,
        'status sent to the daemon',
      );

      tui.keys('Space');
      const pausedAt = recording.seconds();
      await tui.waitFor(/Paused/);
      const frozen = /(\d:\d\d) \/ 0:33/.exec(tui.screen())?.[1];
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(/(\d:\d\d) \/ 0:33/.exec(tui.screen())?.[1], frozen, 'the clock stops while paused');
      const resumedAt = recording.seconds();
      tui.keys('Space');
      await tui.waitFor(/Playing/);

      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = /(\d):(\d\d) \/ 0:33/.exec(tui.screen());
      const shown = Number(before?.[1]) * 60 + Number(before?.[2]);
      tui.keys('Right', 'Right');
      const seekAt = recording.seconds();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // Paused, then Enter on the song: it plays again (the sink paused before is not left paused).
      tui.keys('Space');
      await tui.waitFor(/Paused/);
      tui.keys('Enter');
      await tui.waitFor(/Playing/);
      const playedAgainAt = recording.seconds();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const pcm = await recording.stop();
      await quit(tui);
      const again = peak(pcm.subarray(Math.floor((playedAgainAt + 0.3) * 44100) * 4));
      assert.ok(again > 1000, `Enter while paused plays (peak ${again} after it)`);

      const at = (seconds: number): number => Math.floor(seconds * 44100) * 4;
      // The stream that held sound is dropped, not played out: silence follows the key at once.
      const silence = peak(pcm.subarray(at(pausedAt + 0.12), at(resumedAt)));
      assert.ok(silence < 30, `silent within 120 ms of pause (peak ${silence})`);

      // Where the song should be in the recording: the screen's clock at the pause tells.
      const pausedSong = Number(frozen?.split(':')[0]) * 60 + Number(frozen?.split(':')[1]);
      const early = locate(song, pcm.subarray(at(pausedAt - 1.5), at(pausedAt - 0.3)), pausedSong - 1.5);
      assert.ok(early.correlation > 0.9, `the recording is the song (correlation ${early.correlation.toFixed(3)})`);
      assert.ok(
        Math.abs(early.seconds - (pausedSong - 1.5)) < 1.2,
        `heard ${early.seconds} s before the pause at ${pausedSong} s`,
      );

      const expected = shown + 10 + 0.4;
      const afterSeek = locate(song, pcm.subarray(at(seekAt + 0.4), at(seekAt + 1.4)), expected);
      assert.ok(
        afterSeek.correlation > 0.9,
        `after the seek the recording is the song (correlation ${afterSeek.correlation.toFixed(3)})`,
      );
      assert.ok(
        Math.abs(afterSeek.seconds - expected) < 1.5,
        `seek landed at ${afterSeek.seconds.toFixed(2)} s, expected about ${expected}`,
      );
    } finally {
      tui.kill();
    }
  });
});

describe('streamtui end to end: the song under the cursor', () => {
  it('fetches the first block of the song the cursor rests on (◐ in the library), and only that', async () => {
    const daemon = await startTestDaemon(libraryOf('wav/code-16bit.wav', 'lame/vbr-xing.mp3'));
    const cacheDir = path.join(work, 'cache-browse');
    const tui = player(daemon.port, cacheDir, {}, 'null');
    try {
      // The cursor starts on the first song and rests there.
      await tui.waitFor(/> Second Encoder - Variable\s+1:15 ◐/, 5000);
      let screen = await tui.waitFor(/wav\/code-16bit\.wav\s+0:33/);
      assert.doesNotMatch(screen, /code-16bit\.wav\s+0:33 ◐/, 'not the song the cursor never rested on');
      tui.keys('j');
      screen = await tui.waitFor(/code-16bit\.wav\s+0:33 ◐/, 5000);
      assert.match(screen, /Stopped/, 'nothing played');
      await quit(tui);
    } finally {
      tui.kill();
      await daemon.stop();
    }
  });
});
