/**
 * A 24-bit 96 kHz FLAC (sox's samples, the reference `flac`'s encoding) played by the real player
 * through PulseAudio: its stream is opened at the song's own rate and at 32 bits, and a null sink
 * of that format, recorded at 32 bits, holds the song's 24-bit samples exactly (in the top 24 bits),
 * not the 16 bits a CD-quality output would keep.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSink, startPulseServer } from '../helpers/audio-env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { testStreamtui } from '../helpers/cli.js';

const RATE = 96_000;
const SECONDS = 4;
const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-hires-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;
/** The song's samples, 24-bit, as 32-bit words (the low byte zero). */
let samples: Int32Array;

before(async () => {
  mkdirSync(library);
  const wav = path.join(work, 'source.wav');
  // A sweep and a little noise at 24 bits: most samples have low bits a 16-bit output would drop.
  execFileSync('sox', [
    ...['-n', '-r', String(RATE), '-c', '2', '-b', '24', wav, 'synth', String(SECONDS)],
    ...['sine', '300-5000', 'pinknoise', 'vol', '0.3'],
  ]);
  execFileSync('flac', ['-s', wav, '-o', path.join(library, 'hires.flac')]);
  const raw = execFileSync(
    'flac',
    ['-d', '-s', '-c', '--force-raw-format', '--endian=little', '--sign=signed', path.join(library, 'hires.flac')],
    { maxBuffer: 1 << 28 },
  );
  samples = Int32Array.from({ length: raw.length / 3 }, (_, i) => raw.readIntLE(3 * i, 3) << 8);
  daemon = await startTestDaemon(library);
});

after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Where `run` first occurs in `within`, or -1. */
function findRun(within: Int32Array, run: Int32Array): number {
  for (let at = 0; at + run.length <= within.length; at++) {
    let i = 0;
    while (i < run.length && within[at + i] === run[i]) i++;
    if (i === run.length) return at;
  }
  return -1;
}

describe('24-bit, 96 kHz FLAC through PulseAudio', () => {
  it('is played at its own rate and bits: the recording holds its 24-bit samples exactly', async () => {
    const { home, env, server } = await startPulseServer([
      `load-module module-null-sink sink_name=hires format=s32le rate=${RATE} channels=2`,
      'set-default-sink hires',
    ]);
    const tty = mkdtempSync(path.join(work, 'tty-'));
    const tui = Tmux.start(
      tty,
      [...testStreamtui(), '--port', String(daemon.port), '--name', 'hires', '--audio', 'pulse'],
      { ...env, XDG_CONFIG_HOME: path.join(tty, 'config'), XDG_CACHE_HOME: path.join(tty, 'cache') },
    );
    try {
      await tui.waitFor(/hires\.flac/);
      const recording = await recordSink(env, home, 'hires.monitor', RATE, 2, 's32le');
      tui.keys('Enter');
      await tui.waitFor(/Playing/, 15_000);
      const inputs = execFileSync('pactl', ['list', 'sink-inputs'], { env: { ...process.env, ...env } }).toString();
      assert.match(inputs, /Sample Specification: s32le 2ch 96000Hz/, 'the stream in the song’s own format');
      await until('the song played', () => (/Stopped/.test(tui.screen()) ? true : undefined), 20_000);
      const recorded = await recording.stop();
      const heard = new Int32Array(recorded.buffer, recorded.byteOffset, recorded.length >> 2);
      // Lined up on a run of the song's samples from its middle, found exactly in the recording.
      const mark = samples.length >> 1;
      const offset = findRun(heard, samples.subarray(mark, mark + 32)) - mark;
      assert.ok(offset >= 0, 'the song’s samples are in the recording, as they are');
      // The monitor of a sink that sat idle misses a stream's first milliseconds (PulseAudio
      // rewinds the sink to mix the new stream in; its monitor has already moved on): compared
      // from 50 ms on, to the last sample.
      const from = RATE * 2 * 0.05;
      let differing = 0;
      for (let i = from; i < samples.length; i++) if (heard[offset + i] !== samples[i]) differing++;
      assert.equal(differing, 0, `${differing} of ${samples.length} samples differ`);
      const lowBits = samples.filter((sample) => (sample & 0xff00) !== 0).length;
      assert.ok(lowBits > samples.length / 2, 'the song has bits below the 16th, and they were heard');
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      tui.kill();
      server.kill();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
