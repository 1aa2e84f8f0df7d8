/**
 * Pictures and lyrics (docs/protocol.md, Pictures and lyrics) over real TCP, from files made by
 * other programs at test time: covers embedded by ffmpeg (ID3 APIC, MP4 covr), metaflac (FLAC
 * PICTURE), opusenc and vorbiscomment (METADATA_BLOCK_PICTURE); cover files in folders; lyrics in
 * a `.lrc` beside the song and in tags (ID3 USLT and SYLT by mutagen, Vorbis LYRICS by metaflac,
 * MP4 ©lyr by ffmpeg).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PICTURE_PIECE_BYTES } from '../../daemon/commands/artwork-commands.js';
import { TestClient, type Response } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { sineWav } from '../helpers/tones.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-artwork-'));
const music = path.join(work, 'music');
const run = (command: string, args: string[]): void => {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
};
/** A picture made by ffmpeg: noise, so that it is large (several pieces) and every byte matters. */
function picture(file: string, size: string): Buffer {
  run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `nullsrc=s=${size},geq=random(1)*255:128:128`,
    '-frames:v',
    '1',
    '-y',
    file,
  ]);
  return readFileSync(file);
}
/** FLAC's PICTURE block (type 3, front cover), as METADATA_BLOCK_PICTURE carries it in Vorbis comments. */
function pictureBlock(mime: string, data: Buffer): Buffer {
  const u32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  return Buffer.concat([
    u32(3),
    u32(mime.length),
    Buffer.from(mime),
    u32(0),
    u32(0),
    u32(0),
    u32(0),
    u32(0),
    u32(data.length),
    data,
  ]);
}

const LRC = '[ar:Someone]\n[00:00.50]First line\n[00:01.50]Second line\n[00:02.50]Third line\n';
let png: Buffer;
let jpeg: Buffer;
let daemon: TestDaemon;
let client: TestClient;

before(() => {
  mkdirSync(path.join(music, 'Album'), { recursive: true });
  mkdirSync(path.join(music, 'Other'), { recursive: true });
  mkdirSync(path.join(music, 'Bare'), { recursive: true });
  const wav = path.join(work, 'tone.wav');
  sineWav(wav, 440, 3);
  png = picture(path.join(work, 'cover.png'), '400x400');
  jpeg = picture(path.join(work, 'cover.jpg'), '200x200');
  assert.ok(png.length > PICTURE_PIECE_BYTES * 2, `the PNG is ${png.length} bytes: several pieces`);
  // ffmpeg: an MP3 with an APIC frame and USLT lyrics; an M4A with covr and ©lyr.
  run('ffmpeg', [
    '-v',
    'error',
    '-i',
    wav,
    '-i',
    path.join(work, 'cover.png'),
    '-map',
    '0',
    '-map',
    '1',
    '-c:a',
    'libmp3lame',
    '-c:v',
    'copy',
    '-id3v2_version',
    '3',
    '-metadata:s:v',
    'comment=Cover (front)',
    '-y',
    path.join(music, 'Album', '01 mp3.mp3'),
  ]);
  run('ffmpeg', [
    '-v',
    'error',
    '-i',
    wav,
    '-i',
    path.join(work, 'cover.jpg'),
    '-map',
    '0',
    '-map',
    '1',
    '-c:a',
    'aac',
    '-c:v',
    'copy',
    '-disposition:v:0',
    'attached_pic',
    '-metadata',
    `lyrics=${LRC}`,
    '-y',
    path.join(music, 'Other', 'm4a.m4a'),
  ]);
  // mutagen (Debian's python3-mutagen): USLT, plain, in that MP3; SYLT, in ms, in another.
  const python = (code: string): void =>
    run('/usr/bin/python3', ['-c', `from mutagen.id3 import ID3, SYLT, USLT\n${code}`]);
  python(`t = ID3(${JSON.stringify(path.join(music, 'Album', '01 mp3.mp3'))})
t.add(USLT(encoding=3, lang='eng', desc='', text='Plain words\\nand more'))
t.save()`);
  run('lame', ['--quiet', wav, path.join(music, 'Other', 'sylt.mp3')]);
  python(`t = ID3()
t.add(SYLT(encoding=3, lang='eng', format=2, type=1, desc='', text=[('Sung', 250), ('Later', 2250)]))
t.save(${JSON.stringify(path.join(music, 'Other', 'sylt.mp3'))})`);
  // flac and metaflac: a PICTURE block, LYRICS in the Vorbis comments.
  run('flac', ['-s', '-f', '-o', path.join(music, 'Album', '02 flac.flac'), wav]);
  run('metaflac', [
    `--import-picture-from=${path.join(work, 'cover.jpg')}`,
    '--set-tag=LYRICS=[00:01.00]From FLAC',
    path.join(music, 'Album', '02 flac.flac'),
  ]);
  // opusenc's own --picture; oggenc then vorbiscomment with METADATA_BLOCK_PICTURE.
  run('opusenc', ['--quiet', '--picture', path.join(work, 'cover.png'), wav, path.join(music, 'Other', 'opus.opus')]);
  run('oggenc', ['-Q', '-o', path.join(music, 'Other', 'vorbis.ogg'), wav]);
  run('vorbiscomment', [
    '-a',
    '-t',
    `METADATA_BLOCK_PICTURE=${pictureBlock('image/jpeg', jpeg).toString('base64')}`,
    path.join(music, 'Other', 'vorbis.ogg'),
  ]);
  // The album's folder has covers by several names: cover.* comes first.
  writeFileSync(path.join(music, 'Album', 'Folder.png'), png);
  writeFileSync(path.join(music, 'Album', 'COVER.JPG'), jpeg);
  // A song with no picture anywhere, a .lrc beside it; a cover that is a symlink out of the library.
  run('lame', ['--quiet', wav, path.join(music, 'Bare', 'plain.mp3')]);
  run('lame', ['--quiet', '--tt', 'Quiet', wav, path.join(music, 'Bare', 'quiet.mp3')]);
  run('flac', ['-s', '-f', '-T', 'TITLE=Quiet', '-o', path.join(music, 'Bare', 'quiet.flac'), wav]);
  writeFileSync(path.join(music, 'Bare', 'plain.lrc'), LRC);
  writeFileSync(path.join(work, 'secret.jpg'), jpeg);
  symlinkSync(path.join(work, 'secret.jpg'), path.join(music, 'Other', 'cover.jpg'));
});

before(async () => {
  daemon = await startTestDaemon(music);
  ({ client } = await TestClient.connect(daemon.port));
});
after(async () => {
  // A failed set-up leaves them unset; the files still go.
  (client as TestClient | undefined)?.close();
  await (daemon as TestDaemon | undefined)?.stop();
  rmSync(work, { recursive: true, force: true });
});

const field = (response: Response, key: string): string | undefined => response.fields.find(([k]) => k === key)?.[1];

/** The whole picture, read in pieces from offset 0 as an MPD client does. */
async function readWhole(command: string, song: string): Promise<{ type?: string; data: Buffer; pieces: number }> {
  const parts: Buffer[] = [];
  let type: string | undefined;
  for (let offset = 0; ;) {
    const answer = await client.command(command, song, offset);
    assert.ok(answer.ok, `${command} ${song} ${offset}: ${answer.text}`);
    if (!answer.binary) return { data: Buffer.alloc(0), pieces: 0 };
    type = field(answer, 'type');
    parts.push(answer.binary);
    offset += answer.binary.length;
    if (offset >= Number(field(answer, 'size'))) return { type, data: Buffer.concat(parts), pieces: parts.length };
  }
}

describe('pictures', () => {
  // First in the file: the tests after it start the tag reader.
  it('a song whose tags the scan read whole, with no picture or lyrics, is answered without the tag reader', async () => {
    assert.deepEqual((await client.command('readpicture', 'Other/sylt.mp3', 0)).fields, [], 'mutagen, ID3v2.4');
    assert.deepEqual((await client.command('readpicture', 'Bare/quiet.mp3', 0)).fields, [], 'lame, ID3v2.3');
    assert.deepEqual((await client.command('readpicture', 'Bare/quiet.flac', 0)).fields, [], 'flac');
    assert.equal((await client.command('lyrics', 'Bare/quiet.mp3')).code, 'not_found');
    assert.equal((await client.command('lyrics', 'Bare/quiet.flac')).code, 'not_found');
    assert.equal(daemon.server.services.embedded.running, false, 'no worker thread started');
  });

  it('what the scan saw in the tags is kept in the stored catalog, for the next start', async () => {
    const file = path.join(daemon.stateDir, 'catalog.json');
    const holds = await until('the stored catalog', () => {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (!text.includes('Bare/quiet.mp3')) return undefined;
      const songs = (JSON.parse(text) as { songs: Array<{ info: { file: string }; tagsHold?: object }> }).songs;
      return new Map(songs.map((song) => [song.info.file, song.tagsHold]));
    });
    assert.deepEqual(holds.get('Bare/quiet.mp3'), { picture: false, lyrics: false });
    assert.deepEqual(holds.get('Album/01 mp3.mp3'), { picture: true, lyrics: true }, 'ffmpeg and mutagen');
    assert.deepEqual(holds.get('Album/02 flac.flac'), { picture: true, lyrics: true }, 'metaflac');
    assert.deepEqual(holds.get('Other/opus.opus'), { picture: true, lyrics: false }, 'opusenc');
    assert.deepEqual(holds.get('Other/vorbis.ogg'), { picture: true, lyrics: false }, 'vorbiscomment');
    assert.deepEqual(holds.get('Bare/quiet.flac'), { picture: false, lyrics: false });
    assert.equal(holds.get('Other/m4a.m4a'), undefined, 'looked in when asked');
  });

  const embedded: Array<[string, string, () => Buffer, string]> = [
    ['an MP3 from ffmpeg (ID3 APIC)', 'Album/01 mp3.mp3', () => png, 'image/png'],
    ['a FLAC from metaflac (PICTURE)', 'Album/02 flac.flac', () => jpeg, 'image/jpeg'],
    ['an Opus from opusenc (METADATA_BLOCK_PICTURE)', 'Other/opus.opus', () => png, 'image/png'],
    ['an Ogg Vorbis from vorbiscomment (METADATA_BLOCK_PICTURE)', 'Other/vorbis.ogg', () => jpeg, 'image/jpeg'],
    ['an M4A from ffmpeg (covr)', 'Other/m4a.m4a', () => jpeg, 'image/jpeg'],
  ];
  for (const [name, song, expected, type] of embedded) {
    it(`readpicture gives the picture in the tags of ${name}, byte for byte`, async () => {
      const read = await readWhole('readpicture', song);
      assert.equal(read.type, type);
      assert.ok(read.data.equals(expected()), `${read.data.length} bytes read, ${expected().length} embedded`);
      assert.equal(read.pieces, Math.ceil(expected().length / PICTURE_PIECE_BYTES));
    });
  }

  it("albumart gives the album folder's cover (cover.* before folder.*, names in any case)", async () => {
    const read = await readWhole('albumart', 'Album/02 flac.flac');
    assert.equal(read.type, 'image/jpeg');
    assert.ok(read.data.equals(jpeg));
  });

  it('a song without a picture gets a bare OK; a cover that is a symlink out is refused, and the daemon serves on', async () => {
    assert.deepEqual((await client.command('readpicture', 'Bare/plain.mp3', 0)).fields, []);
    assert.deepEqual((await client.command('albumart', 'Bare/plain.mp3', 0)).fields, []);
    const link = await client.command('albumart', 'Other/opus.opus', 0);
    assert.equal(link.code, 'io_error', link.text);
    assert.match(link.text, /symlink/);
    assert.equal((await client.command('ping')).ok, true);
  });

  it('refuses an offset past the end, a bad offset and an unknown song', async () => {
    const past = await client.command('readpicture', 'Album/01 mp3.mp3', png.length + 1);
    assert.equal(past.code, 'bad_argument', past.text);
    const end = await client.command('readpicture', 'Album/01 mp3.mp3', png.length);
    assert.equal(field(end, 'binary'), '0');
    assert.equal((await client.command('readpicture', 'Album/01 mp3.mp3', '-1')).code, 'bad_argument');
    assert.equal((await client.command('albumart', '../secret.jpg', 0)).code, 'not_found');
    assert.equal((await client.command('readpicture', 'nothing', 0)).code, 'not_found');
  });
});

describe('lyrics', () => {
  const lines = (answer: Response): string[] => answer.fields.filter(([k]) => k === 'line').map(([, v]) => v);

  it('come from a .lrc beside the song, synced', async () => {
    const answer = await client.command('lyrics', 'Bare/plain.mp3');
    assert.equal(field(answer, 'synced'), 'yes');
    assert.equal(field(answer, 'source'), 'lrc');
    assert.deepEqual(lines(answer), ['500 First line', '1500 Second line', '2500 Third line']);
  });

  it('come from the tags: ID3 USLT (plain) and SYLT, Vorbis LYRICS and MP4 ©lyr (LRC)', async () => {
    const mp3 = await client.command('lyrics', 'Album/01 mp3.mp3');
    assert.equal(field(mp3, 'synced'), 'no');
    assert.equal(field(mp3, 'source'), 'tags');
    assert.deepEqual(lines(mp3), ['Plain words', 'and more']);
    const sylt = await client.command('lyrics', 'Other/sylt.mp3');
    assert.equal(field(sylt, 'synced'), 'yes');
    assert.deepEqual(lines(sylt), ['250 Sung', '2250 Later']);
    assert.deepEqual(lines(await client.command('lyrics', 'Album/02 flac.flac')), ['1000 From FLAC']);
    const m4a = await client.command('lyrics', 'Other/m4a.m4a');
    assert.equal(field(m4a, 'synced'), 'yes');
    assert.deepEqual(lines(m4a), ['500 First line', '1500 Second line', '2500 Third line']);
  });

  it('a song without lyrics is not_found', async () => {
    assert.equal((await client.command('lyrics', 'Other/vorbis.ogg')).code, 'not_found');
  });
});
