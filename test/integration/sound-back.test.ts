/**
 * A song decoded by a program of the system's (mpg123, flac) answers after its bytes went in: its
 * first sound is written as soon as that program gives it back, not when the song's next bytes
 * come from the daemon. Real decoders on files by lame and flac; the song's bytes come from a
 * source that gives its first piece and holds the rest back, as a slow link does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFlacHead } from '../../common/audio/flac.js';
import type { SongInfo } from '../../common/protocol/records.js';
import type { BlockSource } from '../../tui/playback/block-source.js';
import { writeSong } from '../../tui/playback/song-writer.js';
import { until } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-sound-back-'));
/** What the source gives before it holds back: a second of sound and more of either file. */
const FIRST_PIECE = 48 * 1024;

const files: Record<'mp3' | 'flac', string> = { mp3: path.join(work, 'tone.mp3'), flac: path.join(work, 'tone.flac') };

before(() => {
  const wav = path.join(work, 'tone.wav');
  execFileSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '8', 'sine', '440', 'pinknoise']);
  execFileSync('lame', ['--quiet', '-b', '128', wav, files.mp3]);
  execFileSync('flac', ['-s', '-o', files.flac, wav]);
});

after(() => rmSync(work, { recursive: true, force: true }));

/** One block: its first piece at once, the rest once `release` is called. */
function heldBackSource(bytes: Buffer, header: Buffer): { source: BlockSource; release: () => void } {
  let release = (): void => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const source: BlockSource = {
    async *block() {
      yield bytes.subarray(0, FIRST_PIECE);
      await released;
      yield bytes.subarray(FIRST_PIECE);
    },
    header: async () => header,
    cached: async () => undefined,
    setCurrent: () => {},
    prefetch: () => {},
    browse: () => {},
    cancel: () => {},
  };
  return { source, release };
}

describe('a decoder in another process', () => {
  for (const format of ['mp3', 'flac'] as const) {
    it(`${format}: the first sound is written before the song's next bytes come`, async () => {
      const file = readFileSync(files[format]);
      // FLAC's blocks hold its frames; its decoder header (fLaC and STREAMINFO) comes apart, as from the daemon.
      let header: Buffer = Buffer.alloc(0);
      let audioStart = 0;
      if (format === 'flac') {
        const head = await readFlacHead(async (at, length) => file.subarray(at, at + length), 0, file.length);
        assert.ok(head.ok);
        ({ decoderHeader: header, audioStart } = head.layout);
      }
      const { source, release } = heldBackSource(file.subarray(audioStart), header);
      const song: SongInfo = {
        id: 1,
        file: `tone.${format}`,
        duration: 8,
        format,
        sampleRate: 44100,
        channels: 2,
        bits: 16,
        bytes: file.length,
        blocks: 1,
        etag: format,
      };
      let written = 0;
      let sounding = false;
      const writing = writeSong(
        { song, origin: 0, startFrame: 0, startDelta: 0, abort: new AbortController() },
        {
          blocks: source,
          bits: 16,
          write: async (pcm) => {
            written += pcm.length;
          },
          sounding: () => (sounding = true),
        },
      );
      try {
        // The rest is held back all this while: only the decoder's own answer can bring the sound.
        await until("the first sound, with the song's next bytes held back", () => sounding);
        assert.ok(written >= 0.25 * 44100 * 4, `a quarter second at least (${written} bytes)`);
      } finally {
        release();
      }
      await writing;
      // The whole song, once the rest came: 8 s (mpg123 trims the encoder's delay and padding).
      assert.ok(Math.abs(written / 4 - 8 * 44100) < 1152, `8 s of sound (${written / 4} frames)`);
    });
  }
});
