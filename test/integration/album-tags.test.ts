/**
 * Album artist, disc and genre as the daemon lists them, from files tagged by another program
 * (ffmpeg: ID3v2.4 TPE2/TPOS/TCON in MP3, LIST INFO IGNR in WAV) and by the project's own ID3v2.3
 * writer (a genre given by its ID3v1 number).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeMp3 } from '../../daemon/demo/encode.js';
import { id3v2Tag } from '../../daemon/demo/id3-writer.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { records, TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'streamd-album-tags-'));
let daemon: TestDaemon;

function ffmpeg(file: string, tags: Record<string, string>): void {
  const metadata = Object.entries(tags).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]);
  const codec = file.endsWith('.mp3') ? ['-c:a', 'libmp3lame'] : [];
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...codec,
    ...metadata,
    path.join(root, file),
  ]);
}

before(async () => {
  mkdirSync(path.join(root, 'Compilation'));
  ffmpeg('Compilation/1-01 First.mp3', {
    title: 'First',
    artist: 'Ana',
    album: 'Compilation',
    album_artist: 'Various Artists',
    disc: '1/2',
    track: '1',
    genre: 'Jazz',
  });
  ffmpeg('Compilation/2-01 Second.mp3', {
    title: 'Second',
    artist: 'Bo',
    album: 'Compilation',
    album_artist: 'Various Artists',
    disc: '2/2',
    track: '1',
    genre: 'Jazz',
  });
  ffmpeg('samba.wav', { title: 'Samba de Uma Nota', genre: 'Samba' });
  writeFileSync(
    path.join(root, 'rock.mp3'),
    Buffer.concat([
      id3v2Tag({ title: 'Loud', genre: '(17)' }),
      encodeMp3(synthesize({ title: 'r', seconds: 2, bpm: 120, root: 60, minor: false, seed: 1 }, 44100, 2), 128),
    ]),
  );
  daemon = await startTestDaemon(root);
});
after(async () => {
  await daemon.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('album artist, disc and genre', () => {
  it('are listed when the files have them, and not otherwise', async () => {
    const { client } = await TestClient.connect(daemon.port);
    const songs = new Map(records(await client.line('lista'), 'song').map((song) => [song.get('file'), song]));
    client.close();
    const first = songs.get('Compilation/1-01 First.mp3');
    assert.deepEqual(
      ['albumartist', 'disc', 'genre', 'artist'].map((key) => first?.get(key)),
      ['Various Artists', '1', 'Jazz', 'Ana'],
    );
    assert.equal(songs.get('Compilation/2-01 Second.mp3')?.get('disc'), '2', 'disc 2 of 2: the number');
    assert.equal(songs.get('samba.wav')?.get('genre'), 'Samba', 'from the WAV’s LIST INFO');
    assert.equal(songs.get('rock.mp3')?.get('genre'), 'Rock', 'ID3v1 genre 17, by its name');
    assert.equal(songs.get('samba.wav')?.get('albumartist'), undefined);
    assert.equal(songs.get('samba.wav')?.get('disc'), undefined);
  });
});
