/**
 * A new song's cover waits for its first sound (tui/cover-art/cover-art.ts): against a real
 * daemon, a song with a picture embedded by ffmpeg is not asked for while its sound is not out
 * (two round trips on the control connection later, nothing is on disk and nothing was told),
 * and is drawn once it is; without a sound, it is drawn after the wait.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SongInfo } from '../../common/protocol/records.js';
import { parseSongList } from '../../common/protocol/replies.js';
import { CoverArt } from '../../tui/cover-art/cover-art.js';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import type { PlayerEvent } from '../../tui/state/actions.js';
import { HALF_BLOCKS } from '../../tui/views/terminal-graphics.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-cover-after-sound-'));
const library = path.join(work, 'library');
let daemon: TestDaemon;
let control: DaemonClient;
let songs: SongInfo[];

before(async () => {
  mkdirSync(library);
  const picture = path.join(work, 'cover.png');
  const ffmpeg = (...args: string[]): void => void execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args]);
  ffmpeg('-f', 'lavfi', '-i', 'color=c=green:s=64x64', '-frames:v', '1', picture);
  for (const name of ['a', 'b'])
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=5', '-i', picture, '-map', '0', '-map', '1'],
      ...['-c:a', 'libmp3lame', '-c:v', 'copy', '-id3v2_version', '3', path.join(library, `${name}.mp3`)],
    );
  daemon = await startTestDaemon(library);
  control = new DaemonClient({ host: '127.0.0.1', port: daemon.port, name: 'cover' });
  control.start();
  await until('the client online', () => control.online || undefined);
  await until('the library scanned', async () => {
    const listed = parseSongList((await control.request('lista')).fields);
    return listed.length === 2 ? (songs = listed) : undefined;
  });
});
after(async () => {
  control.close();
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A CoverArt over its own cache dir, and the covers it told. */
function coverArt(soundWaitMs: number): { art: CoverArt; told: PlayerEvent[]; kept: (song: SongInfo) => boolean } {
  const dir = mkdtempSync(path.join(work, 'cache-'));
  const told: PlayerEvent[] = [];
  const art = new CoverArt(
    control,
    dir,
    (event) => told.push(event),
    () => {},
    HALF_BLOCKS,
    soundWaitMs,
  );
  return { art, told, kept: (song) => existsSync(path.join(dir, 'covers', song.etag)) };
}

const size = { cols: 8, rows: 4 };

describe("a new song's cover, after its first sound", () => {
  it('is not asked for before the sound is out, and is drawn once it is', async () => {
    const { art, told, kept } = coverArt(3_600_000);
    const song = songs[0] as SongInfo;
    art.show(song, size);
    // Asked for at once, the picture would be on disk by the second answer: the connection answers in order.
    await control.request('ping');
    await control.request('ping');
    assert.equal(kept(song), false, 'not fetched before the sound');
    assert.equal(told.length, 0, 'nothing told before the sound');
    art.soundOut();
    await until('the cover drawn', () => told.find((event) => event.type === 'cover'));
    assert.ok(kept(song), 'kept on disk');
  });

  it('is drawn after the wait when no sound comes', async () => {
    const { art, told } = coverArt(200);
    art.show(songs[1] as SongInfo, size);
    await until('the cover drawn', () => told.find((event) => event.type === 'cover'));
  });
});
