/** on_song_change: a real shell command, its environment, one at a time, a deadline, failures in the log. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SongHook } from '../../tui/desktop/song-hook.js';
import { until } from '../helpers/log-capture.js';
import { song } from '../helpers/songs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-hook-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

describe('the song-change hook', () => {
  it('gets the song in its environment', async () => {
    const out = path.join(dir, 'env.txt');
    const hook = new SongHook(
      `printf '%s\\n' "$STREAMTUI_TITLE" "$STREAMTUI_ARTIST" "$STREAMTUI_ALBUM" "$STREAMTUI_FILE" "$STREAMTUI_TRACK" "$STREAMTUI_DEVICE" > '${out}'`,
      'den',
      () => {},
    );
    hook.songChanged(song(7, { album: 'Seventh', track: 7, title: 'It\'s "quoted" $HOME' }));
    await until('the hook wrote', () => (read(out).split('\n').length > 6 ? true : undefined), 5000);
    assert.deepEqual(read(out).split('\n').slice(0, 6), [
      'It\'s "quoted" $HOME',
      'Odd Band',
      'Seventh',
      'Artist/Album/07 Song 7.mp3',
      '7',
      'den',
    ]);
  });

  it('runs one at a time: songs that change meanwhile leave only the latest to run next', async () => {
    const out = path.join(dir, 'order.txt');
    const hook = new SongHook(
      `echo "start $STREAMTUI_TITLE" >> '${out}'; sleep 0.3; echo "end $STREAMTUI_TITLE" >> '${out}'`,
      'den',
      () => {},
    );
    hook.songChanged(song(1));
    hook.songChanged(song(2));
    hook.songChanged(song(3));
    await until('two runs', () => (read(out).includes('end Song 3') ? true : undefined), 5000);
    assert.deepEqual(read(out).trim().split('\n'), ['start Song 1', 'end Song 1', 'start Song 3', 'end Song 3']);
  });

  it('kills a command past its deadline (and what it started), and says so in the log', async () => {
    const lines: string[] = [];
    const out = path.join(dir, 'slow.txt');
    // sleep is the shell's child: the kill must take the process group, not the shell alone.
    const hook = new SongHook(`sleep 30.123; echo late > '${out}'`, 'den', (text) => lines.push(text), 300);
    const started = performance.now();
    hook.songChanged(song(4));
    await until('the kill', () => (lines.length > 0 ? true : undefined), 5000);
    assert.match(lines[0] as string, /on_song_change ran past 0\.3 s for .*04 Song 4\.mp3: killed/);
    assert.ok(performance.now() - started < 2000);
    hook.songChanged(song(5)); // free again: runs (and is killed) in turn
    await until('the second kill', () => (lines.length > 1 ? true : undefined), 5000);
    await until(
      'no sleep left behind',
      () => (spawnSync('pgrep', ['-f', 'sleep 30.123']).status === 1 ? true : undefined),
      3000,
    );
    assert.equal(read(out), '');
  });

  it('logs a failure with its exit code and what it said', async () => {
    const lines: string[] = [];
    const hook = new SongHook('echo "scrobbler: no network" >&2; exit 3', 'den', (text) => lines.push(text));
    hook.songChanged(song(6));
    await until('the failure', () => (lines.length > 0 ? true : undefined), 5000);
    assert.match(lines[0] as string, /on_song_change failed for .*06 Song 6\.mp3 \(exit 3\): scrobbler: no network/);
  });
});
