/**
 * Ogg Vorbis and Opus played by the real player. To ALSA's file PCM (every byte it played): an
 * Opus song from the reference `opusenc` comes out as the samples its decoder makes of the file,
 * pre-skip and end trimming done. Through a PulseAudio null sink (real time): two songs cut from
 * one sine at a sample that is no packet's edge, encoded apart, join with no silent 10 ms, for
 * each codec (the pre-skip, and the end trimmed by the last granule position).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toInt16 } from '../../common/audio/pcm.js';
import { filePcm, pulseNullSink } from '../helpers/audio-env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { soundStretch } from '../helpers/tones.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-ogg-'));
const single = path.join(work, 'single');
const halves = { opus: path.join(work, 'opus-halves'), ogg: path.join(work, 'vorbis-halves') };

const sox = (...args: string[]): void => void execFileSync('sox', args);

before(() => {
  for (const dir of [single, ...Object.values(halves)]) mkdirSync(dir);
  const sweep = path.join(work, 'sweep.wav');
  sox('-n', '-r', '48000', '-c', '2', '-b', '16', sweep, 'synth', '6', 'sine', '200-2000', 'vol', '0.4');
  execFileSync('opusenc', ['--quiet', sweep, path.join(single, 'song.opus')]);
  // 2.0123 s and the rest of 5 s: the join inside a packet.
  const sine = path.join(work, 'sine.wav');
  sox('-n', '-r', '48000', '-c', '2', '-b', '16', sine, 'synth', '5', 'sine', '440', 'vol', '0.5');
  for (const [name, trim] of [
    ['01 first', ['0s', '96590s']],
    ['02 second', ['96590s']],
  ] as const) {
    const part = path.join(work, `${name}.wav`);
    sox(sine, part, 'trim', ...trim);
    execFileSync('opusenc', ['--quiet', part, path.join(halves.opus, `${name}.opus`)]);
    execFileSync('oggenc', ['-Q', '-o', path.join(halves.ogg, `${name}.ogg`), part]);
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

function player(port: number, env: Record<string, string>, audio: string): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [
      ...[...testStreamtui(), '--port', String(port), '--name', 'ogg'],
      ...['--cache-dir', path.join(dir, 'cache'), '--audio', audio],
    ],
    { ...env, XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
  );
}

async function quit(tui: Tmux): Promise<void> {
  tui.keys('q');
  assert.equal(await tui.exitCode(), 0);
}

/** Interleaved 16-bit stereo PCM of an Opus file, as the player's decoder (libopus) makes it. */
async function opusPcm(file: string): Promise<Buffer> {
  const { OggOpusDecoder } = await import('ogg-opus-decoder');
  const decoder = new OggOpusDecoder();
  await decoder.ready;
  const out = await decoder.decodeFile(readFileSync(file));
  decoder.free();
  const pcm = Buffer.alloc(out.samplesDecoded * 4);
  for (let i = 0; i < out.samplesDecoded; i++) {
    pcm.writeInt16LE(toInt16(out.channelData[0]?.[i] as number), i * 4);
    pcm.writeInt16LE(toInt16(out.channelData[1]?.[i] as number), i * 4 + 2);
  }
  return pcm;
}

describe('Ogg end to end', () => {
  let daemon: TestDaemon;
  before(async () => (daemon = await startTestDaemon(single)));
  after(() => daemon.stop());

  it('plays an Opus song as its decoder makes the file, byte for byte', async () => {
    const expected = await opusPcm(path.join(single, 'song.opus'));
    const alsa = filePcm();
    const tui = player(daemon.port, { HOME: alsa.home }, 'speaker');
    try {
      await tui.waitFor(/song\.opus/);
      tui.keys('Enter');
      await until(
        'the sound on the device',
        () => (existsSync(alsa.output) && statSync(alsa.output).size >= expected.length ? true : undefined),
        30_000,
      );
      await tui.waitFor(/Stopped/);
      const pcm = readFileSync(alsa.output);
      assert.equal(pcm.length, expected.length, 'as many samples as the file decodes to');
      assert.ok(pcm.equals(expected), 'its samples');
      await quit(tui);
    } finally {
      tui.kill();
      alsa.cleanup();
    }
  });

  for (const codec of ['opus', 'ogg'] as const) {
    it(`joins two ${codec === 'opus' ? 'Opus' : 'Vorbis'} songs with no silent 10 ms (PulseAudio, real time)`, async () => {
      const pulse = await pulseNullSink();
      const joined = await startTestDaemon(halves[codec]);
      const tui = player(joined.port, pulse.env, 'pulse');
      try {
        await tui.waitFor(/02 second/);
        const sound = await pulse.record();
        tui.keys('Enter');
        await tui.waitFor(/Playing\s+02 second/, 15_000);
        await until('the songs played', () => (/Stopped/.test(tui.screen()) ? true : undefined), 15_000);
        const stretch = soundStretch(await sound.stop());
        assert.deepEqual(stretch.silentWindows, [], `no silent window between ${stretch.start} s and ${stretch.end} s`);
        assert.ok(
          Math.abs(stretch.end - stretch.start - 5) < 0.06,
          `5 s of sound, heard ${(stretch.end - stretch.start).toFixed(2)} s`,
        );
        await quit(tui);
      } finally {
        tui.kill();
        await joined.stop();
        pulse.stop();
      }
    });
  }
});
