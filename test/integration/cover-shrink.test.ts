/**
 * An album's JPEG cover file scaled by the picture process (picture-scaler.ts, picture-worker.ts):
 * decoded smaller by libjpeg where it can (shrink 2, 4 or 8), the picture sent is the size sharp
 * makes from the whole picture and is as close to ffmpeg's own scaling of the same file; the process
 * keeps no descriptor of the covers it has read.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jpegShrink, jpegSize } from '../../daemon/artwork/cover-file.js';
import { PictureScaler } from '../../daemon/artwork/picture-scaler.js';
import type { Logger } from '../../daemon/log.js';

/** width x height of a cover, the size asked, and the shrink libjpeg decodes it at. */
const CASES: Array<[number, number, number, number]> = [
  [600, 600, 300, 2], // exactly half: the one sharp decodes whole
  [640, 480, 100, 4],
  [1200, 800, 150, 8],
  [601, 401, 300, 2],
  [500, 500, 300, 1],
];

let work: string;
let scaler: PictureScaler;
/** What the scaler warned of: its process failing or ending under a picture. */
const warnings: string[] = [];
const log: Logger = {
  debug() {},
  info() {},
  warn: (message) => void warnings.push(message),
  error: (message) => void warnings.push(message),
};

/** The picture as RGB bytes, by ffmpeg. */
const rgb = (file: string): Buffer =>
  execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });

const dimensions = (file: string): string =>
  execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file])
    .toString()
    .trim();

function meanDifference(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** Descriptors the picture process holds: it is this process's one child. */
function pictureProcessFds(): number {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(children.length, 1, `children: ${children.join(' ')}`);
  return readdirSync(`/proc/${children[0]}/fd`).length;
}

before(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'cover-shrink-'));
  scaler = new PictureScaler(8, log);
});
after(() => {
  scaler.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a JPEG cover file scaled by the picture process', () => {
  for (const [width, height, size, shrink] of CASES)
    it(`${width}x${height} asked at ${size}: decoded at 1/${shrink}, the size and picture of a whole decode`, async () => {
      const folder = path.join(work, `${width}x${height}`);
      mkdirSync(folder, { recursive: true });
      const file = path.join(folder, 'cover.jpg');
      // ffmpeg's encoder, 4:4:4 (odd sizes): a picture with edges, text and colour.
      execFileSync('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc=s=${width}x${height}`, '-frames:v', '1'],
        ...['-pix_fmt', 'yuvj444p', '-q:v', '2', '-y', file],
      ]);
      const data = readFileSync(file);
      assert.deepEqual(jpegSize(data), { width, height });
      assert.equal(jpegShrink(width, height, size), shrink);

      const found = await scaler.folderCover(folder, 'Album', ['cover'], size);
      assert.ok(found && found !== 'none', 'a picture');
      assert.equal(found.picture.mime, 'image/jpeg');
      const sent = path.join(work, `sent-${width}x${height}.jpg`);
      writeFileSync(sent, found.picture.data);
      // What sharp makes from the picture given whole (no descriptor: no shrink).
      const whole = await scaler.scale({ mime: 'image/jpeg', data }, size);
      assert.ok(whole, 'scaled whole');
      const wholeFile = path.join(work, `whole-${width}x${height}.jpg`);
      writeFileSync(wholeFile, whole.data);
      assert.equal(dimensions(sent), dimensions(wholeFile));

      const [sentWidth, sentHeight] = dimensions(sent).split(',').map(Number) as [number, number];
      const byFfmpeg = path.join(work, `ffmpeg-${width}x${height}.png`);
      execFileSync('ffmpeg', [
        ...['-v', 'error', '-i', file, '-vf', `scale=${sentWidth}:${sentHeight}:flags=lanczos`, '-y', byFfmpeg],
      ]);
      // As close to ffmpeg's scaling (another filter, JPEG again) as sharp's from the whole picture:
      // 3-11 levels of 255 both, by how fine the picture is at that size; a shifted or flipped one is tens more.
      const difference = meanDifference(rgb(sent), rgb(byFfmpeg));
      const wholeDifference = meanDifference(rgb(wholeFile), rgb(byFfmpeg));
      assert.ok(
        difference < wholeDifference + 1.5,
        `mean difference from ffmpeg's scaling ${difference.toFixed(2)}, sharp's from the whole ${wholeDifference.toFixed(2)}`,
      );
    });

  it('a frame header past the first 64 KiB (large comments before it): scaled from the whole', async () => {
    const folder = path.join(work, 'commented');
    mkdirSync(folder, { recursive: true });
    const plain = readFileSync(path.join(work, '600x600', 'cover.jpg'));
    const comment = (fill: number): Buffer =>
      Buffer.concat([Buffer.from([0xff, 0xfe, 0xea, 0x62]), Buffer.alloc(60_000, fill)]); // 60,000 bytes + length
    const data = Buffer.concat([plain.subarray(0, 2), comment(0x61), comment(0x62), plain.subarray(2)]);
    writeFileSync(path.join(folder, 'cover.jpg'), data);
    assert.deepEqual(jpegSize(data.subarray(0, 64 * 1024)), undefined, 'not in the head');
    const found = await scaler.folderCover(folder, 'Album', ['cover'], 300);
    assert.ok(found && found !== 'none', 'a picture');
    const sent = path.join(work, 'sent-commented.jpg');
    writeFileSync(sent, found.picture.data);
    assert.equal(dimensions(sent), '300,300');
    const whole = await scaler.scale({ mime: 'image/jpeg', data }, 300);
    assert.ok(whole);
    assert.deepEqual(Buffer.from(found.picture.data), Buffer.from(whole.data), 'what sharp makes of the bytes');
  });

  it('keeps no descriptor of the covers it read', async () => {
    const folder = path.join(work, '600x600');
    const before = pictureProcessFds();
    for (let size = 100; size < 140; size++) await scaler.folderCover(folder, 'Album', ['cover'], size);
    assert.equal(pictureProcessFds(), before);
    assert.deepEqual(warnings, []);
  });
});
