/**
 * The daemon measures the loudness of songs that carry no ReplayGain tags, and lists it as tags'
 * is: files made by other encoders (sox, flac, lame, oggenc, opusenc, ffmpeg's AAC), each beside
 * what Debian's loudgain measures of the same file, an album's gain beside `loudgain -a`; tagged
 * songs keep their tags; a silent song gets none and one log line; a restart measures nothing again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Catalog } from '../../daemon/catalog/catalog.js';
import { groupsToMeasure } from '../../daemon/catalog/loudness-pass.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { captureLog } from '../helpers/log-capture.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'streamd-loudness-'));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'streamd-loudness-wav-'));
let daemon: TestDaemon;
const log = captureLog();

const run = (command: string, ...args: string[]): string =>
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).toString();

/** A 16-bit WAV from sox: `effect` is what sox synthesizes, at `volume`. */
function wav(name: string, seconds: number, effect: string[], volume: number, rate = 44_100, bits = 16): string {
  const file = path.join(scratch, name);
  run(
    'sox',
    '-n',
    '-r',
    String(rate),
    '-c',
    '2',
    '-b',
    String(bits),
    file,
    'synth',
    String(seconds),
    ...effect,
    'vol',
    String(volume),
  );
  return file;
}

/** What loudgain measures of `files` (LUFS each, and the album's with `album`). */
function loudgain(files: readonly string[], album = false): Map<string, number> {
  const lines = run('loudgain', '-q', '-O', ...(album ? ['-a'] : []), ...files.map((file) => path.join(root, file)));
  const measured = new Map<string, number>();
  for (const line of lines.trim().split('\n').slice(1)) {
    const [name, loudness] = line.split('\t');
    const key = name === 'Album' ? 'Album' : path.relative(root, name as string);
    measured.set(key, Number.parseFloat(loudness as string));
  }
  return measured;
}

const album = ['Album/01 Tone.flac', 'Album/02 Noise.flac', 'Album/03 Quiet.flac'] as const;
const singles = ['Singles/noise.mp3', 'Singles/tone.ogg', 'Singles/voice.opus', 'Singles/aac.m4a', 'Singles/pcm24.wav'];

before(async () => {
  mkdirSync(path.join(root, 'Album'));
  mkdirSync(path.join(root, 'Singles'));
  const tone = wav('tone.wav', 8, ['sine', '997'], 0.0708);
  const noise = wav('noise.wav', 9, ['pinknoise', 'tremolo', '2', '80'], 0.5);
  const quiet = wav('quiet.wav', 6, ['brownnoise'], 0.05);
  const sources: Array<[string, string]> = [
    [album[0], tone],
    [album[1], noise],
    [album[2], quiet],
  ];
  for (const [file, source] of sources) {
    run(
      'flac',
      '-s',
      '-f',
      '--tag=ALBUM=Rooms',
      `--tag=TITLE=${path.basename(file)}`,
      source,
      '-o',
      path.join(root, file),
    );
  }
  run('lame', '--quiet', '-V', '4', noise, path.join(root, singles[0] as string));
  run('oggenc', '-Q', '-q', '3', tone, '-o', path.join(root, singles[1] as string));
  run('opusenc', '--quiet', '--bitrate', '64', noise, path.join(root, singles[2] as string));
  run(
    'ffmpeg',
    '-loglevel',
    'error',
    '-y',
    '-i',
    quiet,
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    path.join(root, singles[3] as string),
  );
  run('sox', wav('loud24.wav', 5, ['pinknoise'], 0.8, 48_000, 24), path.join(root, singles[4] as string));
  // A song its tags speak for, and one with nothing to measure.
  run(
    'flac',
    '-s',
    '-f',
    '--tag=REPLAYGAIN_TRACK_GAIN=-7.50 dB',
    '--tag=REPLAYGAIN_TRACK_PEAK=0.5',
    noise,
    '-o',
    path.join(root, 'Singles/tagged.flac'),
  );
  run('flac', '-s', '-f', wav('silence.wav', 3, ['sine', '440'], 0), '-o', path.join(root, 'Singles/silence.flac'));
  daemon = await startTestDaemon(root, { measureLoudness: true, log });
  await daemon.catalog.loudnessSettled();
});

after(async () => {
  await daemon.stop();
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function listed(): Promise<Map<string, Map<string, string>>> {
  const { client } = await TestClient.connect(daemon.port);
  const formats = await client.line('formats flac ogg opus m4a');
  assert.ok(formats.ok, formats.text);
  const songs = records(await client.line('lista'), 'song');
  client.close();
  return new Map(songs.map((song) => [song.get('file') as string, song]));
}

describe('loudness measured by the daemon', () => {
  it('lists each untagged song with the gain loudgain finds (ReplayGain 2.0: -18 LUFS), within 0.5 dB', async () => {
    const songs = await listed();
    const reference = loudgain(singles);
    for (const file of singles) {
      const want = -18 - (reference.get(file) as number);
      const got = Number.parseFloat(songs.get(file)?.get('replaygain_track_gain') ?? 'NaN');
      assert.ok(Math.abs(got - want) <= 0.5, `${file}: ${got} dB, loudgain ${want.toFixed(2)} dB`);
      const peak = Number.parseFloat(songs.get(file)?.get('replaygain_track_peak') ?? 'NaN');
      assert.ok(peak > 0 && peak <= 1.2, `${file}: peak ${peak}`);
      assert.equal(songs.get(file)?.get('replaygain_album_gain'), undefined, 'a song alone has no album gain');
    }
  });

  it("gives an album's songs the album's gain, as loudgain -a does, and each its own", async () => {
    const songs = await listed();
    const reference = loudgain(album, true);
    for (const file of album) {
      const track = Number.parseFloat(songs.get(file)?.get('replaygain_track_gain') ?? 'NaN');
      assert.ok(Math.abs(track - (-18 - (reference.get(file) as number))) <= 0.5, `${file}: ${track} dB`);
      const albumGain = Number.parseFloat(songs.get(file)?.get('replaygain_album_gain') ?? 'NaN');
      const want = -18 - (reference.get('Album') as number);
      assert.ok(Math.abs(albumGain - want) <= 0.5, `${file}: album ${albumGain} dB, loudgain ${want.toFixed(2)}`);
    }
  });

  it('leaves a tagged song its tags, and gives a silent one none, said once in the log', async () => {
    const songs = await listed();
    assert.equal(songs.get('Singles/tagged.flac')?.get('replaygain_track_gain'), '-7.50');
    assert.equal(songs.get('Singles/silence.flac')?.get('replaygain_track_gain'), undefined);
    const said = log.lines.filter((line) => line.includes('Singles/silence.flac'));
    assert.deepEqual(said, ['warn library: Singles/silence.flac: loudness not measured: silent']);
  });

  it('keeps what it measured across a restart, and measures nothing again', async () => {
    const store = path.join(scratch, 'catalog.json');
    const first = new Catalog(root, store, captureLog(), { measureLoudness: true });
    await first.open();
    await first.loudnessSettled();
    await first.close();
    const secondLog = captureLog();
    const second = new Catalog(root, store, secondLog, { measureLoudness: true });
    await second.open();
    await second.loudnessSettled();
    await second.close();
    const songs = await listed();
    for (const song of second.songs()) {
      const listedGain = songs.get(song.info.file)?.get('replaygain_track_gain');
      const want = listedGain === undefined ? undefined : Number.parseFloat(listedGain);
      assert.equal(song.info.trackGain, want, song.info.file);
    }
    assert.deepEqual(
      secondLog.lines.filter((line) => line.includes('loudness')),
      [],
      'nothing measured again, and the silent song not tried again',
    );
  });

  it('leaves a song whose measure failed for want of descriptors to be measured again, and one that failed for itself not', async () => {
    const catalog = new Catalog(root, undefined, captureLog());
    await catalog.open();
    const [first, second] = ['Singles/noise.mp3', 'Singles/tone.ogg'].map((file) =>
      catalog.songs().find((song) => song.info.file === file),
    );
    assert.ok(first && second);
    catalog.applyLoudness([first, second], {
      tracks: [{ reason: 'cannot open it: EMFILE', transient: true }, { reason: 'cannot decode it' }],
    });
    assert.equal(first.measured, undefined, 'tried again after the next scan');
    assert.deepEqual(second.measured, { reason: 'cannot decode it' });
    const again = groupsToMeasure(catalog.songs()).flatMap((group) => group.songs.map((song) => song.info.file));
    assert.ok(again.includes(first.info.file) && !again.includes(second.info.file));
    await catalog.close();
  });
});
