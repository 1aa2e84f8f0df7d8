/**
 * M4A's ffmpeg started ahead with a silent AAC frame (tui/audio/ffmpeg-decoder.ts): songs made
 * by ffmpeg's AAC encoder (stereo 44.1 kHz, mono 48 kHz) decoded by the player's FfmpegDecoder,
 * first by an ffmpeg started before any song or a new process, each given the silent frame then,
 * and then by the spare given it ahead, give exactly the samples ffmpeg decodes the file to on its
 * own, priming included, and no more; a song's first piece is its whole first answer; a song of
 * another config lets the spare of its command line go, so one ffmpeg at most waits for each.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { mp4Blocks, mp4DecoderHeader, readMp4Audio } from '../../common/audio/mp4.js';
import { FfmpegDecoder, warmUpFfmpeg } from '../../tui/audio/ffmpeg-decoder.js';
import { until } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-ffmpeg-warm-up-'));
after(() => rmSync(work, { recursive: true, force: true }));
const PIECE = 16 * 1024;

/** Five seconds of a sweep over pink noise, encoded by ffmpeg's AAC encoder. */
function aacSong(name: string, rate: number, channels: 1 | 2): string {
  const wav = path.join(work, `${name}.wav`);
  execFileSync('sox', [
    ...['-n', '-r', String(rate), '-c', String(channels), '-b', '16', wav],
    ...['synth', '5', 'sine', '100-3000', 'pinknoise', 'vol', '0.4'],
  ]);
  const file = path.join(work, `${name}.m4a`);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-c:a', 'aac', '-b:a', '160k', file]);
  return file;
}

/** The song's samples, priming and padding too (the edit list not applied), 16-bit, by ffmpeg on its own. */
const allSamplesOf = (file: string): Buffer =>
  execFileSync('ffmpeg', ['-loglevel', 'error', '-ignore_editlist', '1', '-i', file, '-f', 's16le', 'pipe:1'], {
    maxBuffer: 64 * 1024 * 1024,
  });

/** What the player's decoder gives for the song's audio bytes fed in pieces, to the song's end. */
async function decode(file: string): Promise<{ pcm: Buffer; channels: number; ends: number }> {
  const bytes = readFileSync(file);
  const audio = await readMp4Audio(async (at, length) => bytes.subarray(at, at + length), bytes.length);
  const blocks = mp4Blocks(audio);
  const last = blocks[blocks.length - 1] as { offset: number; length: number };
  const decoder = FfmpegDecoder.open(mp4DecoderHeader(audio, blocks), 0, audio.channels as 1 | 2);
  const parts: Buffer[] = [];
  try {
    for (let at = audio.dataStart; at < last.offset + last.length; at += PIECE)
      parts.push(await decoder.decode(bytes.subarray(at, Math.min(at + PIECE, last.offset + last.length))));
    parts.push(await decoder.end());
  } finally {
    decoder.free();
  }
  return { pcm: Buffer.concat(parts), channels: audio.channels, ends: audio.delay + audio.totalSamples };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('M4A through an ffmpeg warmed with a silent frame', () => {
  // In this order: the stereo song takes the ffmpeg started before any song, the mono one a new
  // process (the spare left is the stereo one's); each then takes the spare its play started.
  for (const [name, rate, channels, first] of [
    ['stereo', 44100, 2, 'the ffmpeg started before any song'],
    ['mono', 48000, 1, 'a new process'],
  ] as const) {
    it(`${name} ${rate / 1000} kHz: the same samples from ${first} and from the spare warmed ahead`, async () => {
      const file = aacSong(name, rate, channels);
      const expected = allSamplesOf(file);
      if (channels === 2) {
        warmUpFfmpeg();
        await sleep(500);
      }
      for (const process of [first, 'the spare warmed ahead']) {
        const { pcm, ends } = await decode(file);
        assert.equal(
          pcm.length,
          ends * 2 * channels,
          `${process}: the song to its last sample, not the silence before it`,
        );
        assert.ok(pcm.equals(expected.subarray(0, pcm.length)), `${process}: the samples ffmpeg decodes the file to`);
        await sleep(500); // the spare is started 300 ms after a song's process
      }
    });
  }

  it('asks for a first piece that holds its whole first answer: the song sounds after one round trip', async () => {
    const file = aacSong('first-piece', 44100, 2);
    const bytes = readFileSync(file);
    const audio = await readMp4Audio(async (at, length) => bytes.subarray(at, at + length), bytes.length);
    const decoder = FfmpegDecoder.open(mp4DecoderHeader(audio, mp4Blocks(audio)), 0, 2);
    try {
      const piece = decoder.firstPieceBytes;
      // A quarter of a second at 160 kb/s and the frames held back: some KiB, far from the whole song.
      assert.ok(piece > 4096 && piece < 16_384, `${piece} bytes`);
      const pcm = await decoder.decode(bytes.subarray(audio.dataStart, audio.dataStart + piece));
      assert.ok(pcm.length >= (0.25 * 44100 - 1024) * 4, `${pcm.length} bytes of sound from the first piece`);
    } finally {
      decoder.free();
    }
  });

  it('keeps one spare for each command line: a song of another config lets the last one go', async () => {
    const { pcm } = await decode(aacSong('stereo-48k', 48000, 2)); // the stereo command line, another head
    assert.ok(pcm.length > 0);
    await sleep(500);
    // The spares of the stereo and the mono command lines; the 44.1 kHz stereo one is gone.
    const waiting = (): number => {
      const listed = spawnSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg'], { encoding: 'utf8' }).stdout;
      return listed.split('\n').filter(Boolean).length;
    };
    await until('one ffmpeg waiting for each command line', () => (waiting() === 2 ? true : undefined));
  });
});
