/**
 * MP3 and FLAC through the system's mpg123 and flac, beside the player's own WebAssembly builds of
 * the same libraries, on files of two encoders each: fed in the pieces the player feeds, from the
 * song's start and from a frame in its middle, the two give the same sound (FLAC exactly; MP3
 * within one step of 16 bits, the programs rounding their own way); a damaged FLAC is said, and a
 * song given up leaves no process behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findFlacFrame, readFlacHead, type FlacLayout } from '../../common/audio/flac.js';
import { mpegFrameStarts, scanMpeg } from '../../common/audio/mpeg-frames.js';
import type { SongInfo } from '../../common/protocol/records.js';
import { createDecoder, useSystemDecoders, type PcmDecoder } from '../../tui/audio/decoder.js';
import { NativeDecoder } from '../../tui/audio/native-decoder.js';
import { until } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-native-decoders-'));
const PIECE = 16 * 1024;

const songOf = (format: 'mp3' | 'flac', channels: number): SongInfo => ({
  id: 1,
  file: `song.${format}`,
  duration: 12,
  format,
  sampleRate: 44100,
  channels,
  bits: 16,
  bytes: 0,
  blocks: 1,
  etag: 'e',
});

/** The decoder the player would make, `system` or its own, and what it gives for `bytes` fed in pieces, primed first. */
async function decodeWith(
  system: boolean,
  song: SongInfo,
  bytes: Buffer,
  header?: Buffer,
  priming?: { bytes: Buffer; frames: number },
): Promise<{ decoder: PcmDecoder; pcm: Buffer }> {
  useSystemDecoders(system);
  const decoder = await createDecoder(song, header);
  try {
    if (priming && decoder.prime) await decoder.prime(priming.bytes, priming.frames);
    else if (priming) await decoder.decode(priming.bytes);
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += PIECE) pieces.push(await decoder.decode(bytes.subarray(at, at + PIECE)));
    if (decoder.end) pieces.push(await decoder.end());
    return { decoder, pcm: Buffer.concat(pieces) };
  } finally {
    decoder.free();
    useSystemDecoders(true);
  }
}

/** The largest difference between two 16-bit PCM buffers of the same length. */
function largestDifference(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length, 'the same number of samples');
  let most = 0;
  for (let at = 0; at < a.length; at += 2) most = Math.max(most, Math.abs(a.readInt16LE(at) - b.readInt16LE(at)));
  return most;
}

const sources: Record<string, string> = {};

before(() => {
  for (const channels of [1, 2]) {
    const wav = path.join(work, `source-${channels}.wav`);
    execFileSync('sox', [
      ...['-n', '-r', '44100', '-c', String(channels), '-b', '16', wav, 'synth', '12'],
      ...['sine', '200-3000', 'pinknoise', 'vol', '0.4'],
    ]);
    sources[`lame-${channels}.mp3`] = wav;
    execFileSync('lame', ['--quiet', '-b', '160', wav, path.join(work, `lame-${channels}.mp3`)]);
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-i',
      wav,
      '-c:a',
      'libmp3lame',
      '-q:a',
      '4',
      path.join(work, `ffmpeg-${channels}.mp3`),
    ]);
    execFileSync('flac', ['-s', '-o', path.join(work, `flac-${channels}.flac`), wav]);
    execFileSync('ffmpeg', ['-v', 'error', '-i', wav, '-c:a', 'flac', path.join(work, `ffmpeg-${channels}.flac`)]);
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Every frame's start in an MP3. */
function frameStarts(file: Buffer): number[] {
  const scan = scanMpeg(file);
  assert.ok(scan);
  return mpegFrameStarts(file, scan);
}

async function flacLayout(file: Buffer): Promise<FlacLayout> {
  const head = await readFlacHead(async (at, length) => file.subarray(at, at + length), 0, file.length);
  assert.ok(head.ok);
  return head.layout;
}

describe('MP3 and FLAC through the system mpg123 and flac', () => {
  for (const name of ['lame-2.mp3', 'ffmpeg-2.mp3', 'lame-1.mp3', 'ffmpeg-1.mp3']) {
    it(`${name}: the song whole, gapless, as the player's own decoder gives it`, async () => {
      const file = readFileSync(path.join(work, name));
      const song = songOf('mp3', name.endsWith('-1.mp3') ? 1 : 2);
      const native = await decodeWith(true, song, file);
      assert.ok(native.decoder instanceof NativeDecoder, 'mpg123 decoded it');
      const own = await decodeWith(false, song, file);
      assert.ok(!(own.decoder instanceof NativeDecoder));
      assert.ok(largestDifference(native.pcm, own.pcm) <= 1);
      const source = sources[name];
      if (source)
        assert.equal(
          native.pcm.length,
          execFileSync('sox', [source, '-t', 'raw', '-'], { maxBuffer: 64 * 1024 * 1024 }).length,
          "LAME's delay and padding trimmed",
        );
    });

    it(`${name}: from a frame in the middle, primed with the two before it, whose sound is dropped`, async () => {
      const file = readFileSync(path.join(work, name));
      const song = songOf('mp3', name.endsWith('-1.mp3') ? 1 : 2);
      const starts = frameStarts(file);
      const middle = Math.floor(starts.length / 2);
      const priming = { bytes: file.subarray(starts[middle - 2], starts[middle]), frames: 2 * 1152 };
      const rest = file.subarray(starts[middle]);
      const native = await decodeWith(true, song, rest, undefined, priming);
      const own = await decodeWith(false, song, rest, undefined, priming);
      assert.ok(largestDifference(native.pcm, own.pcm) <= 1);
    });
  }

  for (const name of ['flac-2.flac', 'ffmpeg-2.flac', 'flac-1.flac', 'ffmpeg-1.flac']) {
    it(`${name}: whole and from a frame in the middle, exactly as the player's own decoder gives it`, async () => {
      const file = readFileSync(path.join(work, name));
      const layout = await flacLayout(file);
      const song = songOf('flac', layout.info.channels);
      const whole = file.subarray(layout.audioStart);
      const native = await decodeWith(true, song, whole, layout.decoderHeader);
      assert.ok(native.decoder instanceof NativeDecoder, 'flac decoded it');
      assert.deepEqual(native.pcm, (await decodeWith(false, song, whole, layout.decoderHeader)).pcm);
      assert.equal(native.pcm.length / 2 / layout.info.channels, layout.info.totalSamples);
      // The stream's MD5 is of the whole song: started in the middle, flac checks none.
      const frame = findFlacFrame(file, 0, Math.floor(file.length / 2), file.length, layout.info);
      assert.ok('offset' in frame);
      const rest = file.subarray(frame.offset);
      const fromMiddle = await decodeWith(true, song, rest, layout.decoderHeader);
      assert.deepEqual(fromMiddle.pcm, (await decodeWith(false, song, rest, layout.decoderHeader)).pcm);
      assert.equal(fromMiddle.pcm.length / 2 / layout.info.channels, layout.info.totalSamples - frame.sample);
    });
  }

  it('a damaged FLAC ends the song with flac saying why', async () => {
    const file = Buffer.from(readFileSync(path.join(work, 'flac-2.flac')));
    const layout = await flacLayout(file);
    file.fill(0x5a, Math.floor(file.length / 2), Math.floor(file.length / 2) + 4000);
    await assert.rejects(
      decodeWith(true, songOf('flac', 2), file.subarray(layout.audioStart), layout.decoderHeader),
      /^Error: flac ended \(1\): .*\S/s,
    );
  });

  it('a song given up ends its mpg123 at once; the spare for the next song waits', async () => {
    const file = readFileSync(path.join(work, 'lame-2.mp3'));
    const abort = new AbortController();
    const decoder = await createDecoder(songOf('mp3', 2), undefined, 0, abort.signal);
    assert.ok(decoder instanceof NativeDecoder);
    await decoder.decode(file.subarray(0, PIECE));
    const mpg123s = (): number[] => {
      try {
        return execFileSync('pgrep', ['-P', String(process.pid), 'mpg123'], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .map(Number);
      } catch {
        return [];
      }
    };
    // The song's own, and the spare started a moment after it.
    await until('the spare mpg123 started', () => (mpg123s().length === 2 ? true : undefined));
    abort.abort();
    await until('the given-up song its mpg123 ended', () => (mpg123s().length === 1 ? true : undefined));
    await assert.doesNotReject(decoder.decode(file.subarray(PIECE, 2 * PIECE)), 'a piece after the end is no failure');
  });
});
