/**
 * Debian's sublime-music, a desktop Subsonic client nobody here wrote, driven through its
 * Subsonic adapter without its window (test/helpers/sublime-music-driver.py): it logs in with a
 * salted token, browses, searches and streams a song from streamd.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeSubsonicLibrary } from '../helpers/subsonic-library.js';

const DRIVER = fileURLToPath(new URL('../../../test/helpers/sublime-music-driver.py', import.meta.url));
const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-sublime-'));
const music = path.join(work, 'music');
let daemon: TestDaemon;

before(async () => {
  mkdirSync(music);
  makeSubsonicLibrary(music, work);
  daemon = await startTestDaemon(music, { users: [{ name: 'alice', password: 'sesame' }] });
});
after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('sublime-music against streamd', () => {
  it('browses, searches and streams a song', { timeout: 120_000 }, async () => {
    const data = path.join(work, 'sublime-data');
    mkdirSync(data);
    // Debian's python, whatever python3 the PATH finds first: sublime-music is a Debian package.
    const { stdout } = await promisify(execFile)(
      '/usr/bin/python3',
      [DRIVER, `http://127.0.0.1:${daemon.httpPort}`, 'alice', 'sesame', data, 'jóga'],
      { timeout: 90_000, env: { ...process.env, NO_AT_BRIDGE: '1' } },
    );
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    const file = 'Björk/Homogenic/02 Jóga.flac';
    const bytes = readFileSync(path.join(music, file));
    assert.deepEqual(seen, {
      ping: true,
      artists: ['Arvo Pärt', 'Beyoncé', 'Björk', 'The Beatles', '[Unknown Artist]'],
      albums: ['Homogenic'],
      album_songs: ['Hunter', 'Jóga'],
      found: ['Jóga'],
      song_path: file,
      stream_status: 200,
      stream_type: 'audio/flac',
      stream_sha256: createHash('sha256').update(bytes).digest('hex'),
      download_bytes: bytes.length,
      download_same: true,
      genres: ['Classical', 'Electronic', 'Pop', 'Rock'],
    });
  });
});
