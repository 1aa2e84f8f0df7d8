import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import CodecParser, { type CodecFrame } from 'codec-parser';
import { skipId3v2Tags } from '../../common/audio/id3.js';
import { FIXTURE_SONGS, makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { records, TestClient, type Response } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { decodeMp3, mpg123Pcm, soxPcm } from '../helpers/decode.js';

let library: FixtureLibrary;
let daemon: TestDaemon;
let client: TestClient;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'streamd-download-'));

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root);
  client = (await TestClient.connect(daemon.port)).client;
});
after(async () => {
  client.close();
  await daemon.stop();
  library.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const joined = (response: Response): Buffer => Buffer.concat(response.blocks.map((b) => b.data));

/**
 * The song's audio bytes found independently of the daemon: for MP3, from the first frame
 * codec-parser finds to the end of the file less a trailing ID3v1 tag; for WAV, the PCM that sox
 * reads from the data chunk.
 */
function expectedAudio(file: string, format: 'mp3' | 'wav'): Buffer {
  if (format === 'wav') return soxPcm(file);
  const bytes = readFileSync(file);
  const tagEnd = skipId3v2Tags(bytes);
  const [first] = new CodecParser('audio/mpeg', { enableLogging: false }).parseAll(
    bytes.subarray(tagEnd),
  ) as CodecFrame[];
  const id3v1 =
    bytes.length >= 128 && bytes.toString('latin1', bytes.length - 128, bytes.length - 125) === 'TAG' ? 128 : 0;
  return bytes.subarray(tagEnd + (first as CodecFrame).totalBytesOut, bytes.length - id3v1);
}

describe('download', () => {
  for (const fixture of FIXTURE_SONGS) {
    it(`serves ${fixture.file} as hashed blocks that join into exactly its audio`, async () => {
      const response = await client.command('download', fixture.file);
      assert.equal(response.ok, true, response.text);
      assert.equal(response.trackStart && response.trackEnd, true);
      const [song] = records(response, 'song');
      assert.equal(song?.get('file'), fixture.file);
      assert.equal(response.blocks.length, fixture.blocks);
      response.blocks.forEach((block, i) => {
        assert.equal(block.header.index, i);
        assert.equal(block.data.length, block.header.bytes);
        assert.equal(sha(block.data), block.header.sha256);
        assert.equal(block.header.start, 30 * i);
        const last = i === response.blocks.length - 1;
        assert.equal(block.header.end.toFixed(3), last ? song?.get('duration') : (30 * (i + 1)).toFixed(3));
      });
      const audio = joined(response);
      assert.equal(String(audio.length), song?.get('bytes'));
      const full = path.join(library.root, fixture.file);
      if (fixture.file !== 'cut-off.mp3')
        assert.ok(audio.equals(expectedAudio(full, fixture.format)), 'blocks = audio bytes');
      else {
        // Cut mid-frame: the blocks are the complete frames, the one cut short is left out.
        const frames = new CodecParser('audio/mpeg', { enableLogging: false }).parseAll(
          readFileSync(full),
        ) as CodecFrame[];
        const complete = frames.slice(0, -1).reduce((sum, frame) => sum + frame.data.length, 0);
        assert.equal(audio.length, complete);
        assert.ok(readFileSync(full).includes(audio));
      }
    });
  }

  for (const fixture of FIXTURE_SONGS.filter((s) => s.format === 'mp3')) {
    it(`decodes the joined blocks of ${fixture.file} to the same PCM as the whole file (two decoders)`, async () => {
      const response = await client.command('download', fixture.file);
      const audio = joined(response);
      const whole = await decodeMp3(readFileSync(path.join(library.root, fixture.file)));
      const fromBlocks = await decodeMp3(audio);
      assert.equal(fromBlocks.sampleRate, fixture.sampleRate);
      assert.equal(fromBlocks.samples.length, whole.samples.length);
      fromBlocks.samples.forEach((channel, c) => assert.deepEqual(channel, whole.samples[c]));

      const joinedFile = path.join(scratch, `${fixture.blocks}-${path.basename(fixture.file)}`);
      writeFileSync(joinedFile, audio);
      assert.ok(mpg123Pcm(joinedFile).equals(mpg123Pcm(path.join(library.root, fixture.file))), 'mpg123 agrees');
    });
  }

  it('serves a range of blocks, and a range from a block to the end', async () => {
    const whole = await client.command('download', 'lame/vbr-xing.mp3');
    const middle = await client.command('download', 'lame/vbr-xing.mp3', 1, 1);
    assert.deepEqual(
      middle.blocks.map((b) => b.header.index),
      [1],
    );
    assert.ok(middle.blocks[0]?.data.equals(whole.blocks[1]?.data as Buffer));
    const tail = await client.command('download', 'lame/vbr-xing.mp3', 1);
    assert.deepEqual(
      tail.blocks.map((b) => b.header.index),
      [1, 2],
    );
    assert.deepEqual(
      tail.blocks.map((b) => b.header),
      whole.blocks.slice(1).map((b) => b.header),
    );
  });

  const badRanges: Array<[Array<string | number>, string]> = [
    [[2, 1], 'bad_argument'],
    [[0, 3], 'bad_argument'],
    [[3], 'bad_argument'],
    [['x'], 'bad_argument'],
    [['-1'], 'bad_argument'],
    [['1.5'], 'bad_argument'],
  ];
  for (const [range, code] of badRanges) {
    it(`refuses range ${range.join(' ')} before sending anything`, async () => {
      const response = await client.command('download', 'lame/vbr-xing.mp3', ...range);
      assert.equal(response.code, code);
      assert.equal(response.trackStart, false);
    });
  }

  it('finds songs by id, by path, and by file name without extension, case-insensitively', async () => {
    const list = records(await client.line('lista'), 'song');
    const vbr = list.find((s) => s.get('file') === 'lame/vbr-xing.mp3');
    for (const name of [vbr?.get('song') as string, 'lame/vbr-xing.mp3', 'VBR-XING', 'vbr-xing.mp3', 'Vbr-Xing.MP3']) {
      const response = await client.command('download', name, 0, 0);
      assert.equal(response.ok, true, name);
      assert.equal(records(response, 'song')[0]?.get('file'), 'lame/vbr-xing.mp3');
    }
  });

  it('says which songs an ambiguous name matches', async () => {
    const response = await client.command('download', 'same name');
    assert.equal(response.code, 'ambiguous');
    assert.match(response.text, /Same Name\.mp3/);
    assert.match(response.text, /other\/same name\.wav/);
  });

  it('does the same hashing on a second download, from the catalog', async () => {
    const first = await client.command('download', 'wav/code-16bit.wav');
    const second = await client.command('download', 'wav/code-16bit.wav');
    assert.deepEqual(
      first.blocks.map((b) => b.header),
      second.blocks.map((b) => b.header),
    );
  });
});
