/**
 * The player as a daily driver, end to end: the real streamtui in tmux, the real daemon, real sound
 * recorded from a PulseAudio null sink. A queue played in its order and kept across a restart, a
 * playlist mpg123 plays, the song-change hook, and gapless joins (MP3 halves by lame, WAV halves).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pulseNullSink, type PulseNullSink } from '../helpers/audio-env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';
import { soundStretch, toneLibrary, toneSequence, type ToneSong } from '../helpers/tones.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-queue-'));
let library: ReturnType<typeof toneLibrary>;
let daemon: TestDaemon;
let pulse: PulseNullSink;

before(async () => {
  library = toneLibrary();
  daemon = await startTestDaemon(library.root);
  pulse = await pulseNullSink();
});
after(async () => {
  await daemon.stop();
  pulse.stop();
  library.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function player(stateDir: string, extra: string[] = [], env: Record<string, string> = {}): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  const args = [
    '--port',
    String(daemon.port),
    '--name',
    'queuer',
    '--cache-dir',
    path.join(dir, 'cache'),
    '--state-dir',
    stateDir,
    '--audio',
    'pulse',
    '--no-calls',
    ...extra,
  ];
  return Tmux.start(
    dir,
    [...testStreamtui(), ...args],
    {
      ...pulse.env,
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      STREAMTUI_LOG: path.join(dir, 'player.log'),
      DBUS_SESSION_BUS_ADDRESS: '',
      ...env,
    },
    120,
    36,
  );
}

/** Finds a song with the search and adds it to the end of the queue, which then holds `count`. */
async function queueSong(tui: Tmux, song: ToneSong, count: number): Promise<void> {
  tui.keys('/');
  tui.type(song.title);
  await tui.waitFor(new RegExp(`Library: /${song.title} \\(1\\)`));
  tui.keys('Enter');
  tui.keys('a');
  await tui.waitFor(new RegExp(`Queue \\(${count}[,)]`));
}

/** The queue panel's rows: the screen's lines from the column its label starts in, down to the devices panel. */
function queueRows(screen: string): string[] {
  const lines = screen.split('\n').map((line) => [...line]);
  const top = lines.findIndex((line) => line.join('').includes('Queue ('));
  const column = lines[top]?.join('').indexOf('Queue (') ?? 0;
  const rows: string[] = [];
  for (const line of lines.slice(top + 1)) {
    const text = line.slice(column - 2).join('');
    if (text.includes('Devices (')) break;
    rows.push(text);
  }
  return rows.filter((row) => /\w/.test(row));
}

const titlesIn = (rows: string[]): string[] => rows.flatMap((row) => /Tones - ([\w-]+)/.exec(row)?.[1] ?? []);

async function quit(tui: Tmux): Promise<void> {
  tui.keys('q');
  assert.equal(await tui.exitCode(), 0, 'q exits 0');
  tui.kill();
}

describe('the queue, end to end', () => {
  const stateDir = path.join(work, 'state-queue');
  const hookFile = path.join(work, 'hook.txt');

  it('plays three songs in the queue order after one is moved, runs the hook at each, and W writes a playlist mpg123 plays', async () => {
    const [a, b, c] = library.tones as [ToneSong, ToneSong, ToneSong];
    const hook = `printf '%s|%s|%s\\n' "$STREAMTUI_TITLE" "$STREAMTUI_ARTIST" "$STREAMTUI_FILE" >> '${hookFile}'`;
    const tui = player(stateDir, ['--on-song-change', hook]);
    try {
      await tui.waitFor(/Seven-Seventy/);
      for (const [i, song] of [a, b, c].entries()) await queueSong(tui, song, i + 1);
      await tui.waitFor(/Queue \(3[,)]/);
      // The queue panel: the last entry moved up one (a, c, b), then played from the top.
      tui.keys('Tab');
      await tui.waitFor(/Queue \(3[,)]/);
      tui.keys('G');
      tui.keys('K');
      tui.keys('g');
      const recording = await pulse.record();
      tui.keys('Enter');
      await tui.waitFor(/Playing\s+Tones - Three-Thirty/);
      await until(
        'the three songs played',
        () => (recording.seconds() > 2 && /Stopped/.test(tui.screen()) ? true : undefined),
        20_000,
      );
      const pcm = await recording.stop();
      assert.deepEqual(toneSequence(pcm), [a.hz, c.hz, b.hz], 'heard in the queue order');
      await until(
        'the hook ran for each',
        () =>
          existsSync(hookFile) && readFileSync(hookFile, 'utf8').trim().split('\n').length >= 3 ? true : undefined,
        5000,
      );
      assert.deepEqual(
        readFileSync(hookFile, 'utf8').trim().split('\n'),
        [a, c, b].map((song) => `${song.title}|Tones|${song.file}`),
      );

      tui.keys('W');
      const screen = await tui.waitFor(/queue written to \S+ \(3 songs/);
      const playlist = path.join(stateDir, 'queue.m3u8');
      assert.ok(screen.includes('queue written to'), screen);
      assert.deepEqual(
        readFileSync(playlist, 'utf8')
          .split('\n')
          .filter((line) => line && !line.startsWith('#')),
        [a.file, c.file, b.file],
      );
      // Another player opens it where the library is (mpg123 reads names from the playlist's folder).
      const out = path.join(work, 'mpg123.wav');
      copyFileSync(playlist, path.join(library.root, 'queue.m3u8'));
      execFileSync('mpg123', ['-q', '-w', out, '-@', path.join(library.root, 'queue.m3u8')], { timeout: 30_000 });
      assert.deepEqual(
        toneSequence(readFileSync(out).subarray(44)),
        [a.hz, c.hz, b.hz],
        'mpg123 plays the playlist in order',
      );
      await quit(tui);
    } finally {
      tui.kill();
    }
  });

  it('is there after a restart, in its order', async () => {
    const tui = player(stateDir);
    try {
      const screen = await tui.waitFor(/Queue \(3[,)]/);
      assert.deepEqual(titlesIn(queueRows(screen)), ['Three-Thirty', 'Seven-Seventy', 'Five-Fifty'], screen);
      assert.equal(
        tui.logs().match(/MPRIS off: no session D-Bus/g)?.length,
        1,
        'no session bus: one line in the log, and the rest works',
      );
      // X asks first; n keeps it, y clears it (and the cleared queue is what is kept).
      tui.keys('Tab');
      tui.keys('X');
      await tui.waitFor(/clear the queue \(3 songs\)\? y \/ n/);
      tui.keys('n');
      await tui.waitFor(/Queue \(3[,)]/);
      await quit(tui);
    } finally {
      tui.kill();
    }
  });

  it('--queue-file loads a playlist into the queue; songs not in the library are counted', async () => {
    const playlist = path.join(work, 'mine.m3u8');
    const [a, b] = library.tones as [ToneSong, ToneSong];
    writeFileSync(playlist, `#EXTM3U\n${b.file}\nnot/here.mp3\n./${a.file}\n`);
    const tui = player(path.join(work, 'state-file'), ['--queue-file', playlist]);
    try {
      const screen = await tui.waitFor(/2 songs queued from mine\.m3u8; 1 not in the library/);
      assert.deepEqual(titlesIn(queueRows(screen)), ['Five-Fifty', 'Three-Thirty'], screen);
      await quit(tui);
    } finally {
      tui.kill();
    }
  });
});

describe('browsing, end to end', () => {
  it('v shows artist > album > song (Right opens, Left closes, a whole album queued with a); / highlights what matched', async () => {
    const tui = player(path.join(work, 'state-browse'));
    try {
      await tui.waitFor(/Seven-Seventy/);
      tui.keys('v');
      let screen = await tui.waitFor(/Library \(\d+, by artist\)/);
      // The cursor stays on what it was on (the library's first song, an untagged WAV): its artist.
      assert.match(screen, /> ▸ Unknown artist\s+\(2\)/);
      tui.keys('g');
      screen = await tui.waitFor(/> ▸ Sine\s+\(2\)/);
      assert.match(screen, /▸ Tones\s+\(4\)/);
      tui.keys('Down', 'Right');
      screen = await tui.waitFor(/▾ Tones/);
      assert.match(screen, /▸ Long\s+\(1\)[\s\S]*▸ Three\s+\(3\)/, 'albums under the artist');
      tui.keys('Down', 'Down', 'Enter');
      screen = await tui.waitFor(/▾ Three/);
      assert.match(screen, /01 Three-Thirty[\s\S]*02 Five-Fifty[\s\S]*03 Seven-Seventy/, 'songs by track number');
      tui.keys('Left');
      await tui.waitFor(/> +▸ Three/);
      tui.keys('a');
      await tui.waitFor(/3 songs added to the queue/);
      await tui.waitFor(/Queue \(3[,)]/);
      tui.keys('/');
      tui.type('svnty');
      screen = await tui.waitFor(/Library: \/svnty \(1\)/);
      assert.match(screen, /Tones - Seven-Seventy/);
      // The matched letters in the search's colour (yellow: SGR 33), the others not.
      const row =
        tui
          .styledScreen()
          .split('\n')
          .find((line) => line.includes('even-')) ?? '';
      assert.match(row, /\x1b\[(?:[0-9;]*;)?33(?:;[0-9;]*)?m[^\x1b]*S/, `S marked: ${JSON.stringify(row)}`);
      tui.keys('Escape');
      await tui.waitFor(/Library \(\d+, by artist\)/);
      await quit(tui);
    } finally {
      tui.kill();
    }
  });
});

/** Queues `songs`, plays them from the queue's top, and returns the recording once playback stopped. */
async function playQueued(tui: Tmux, songs: readonly ToneSong[]): Promise<Buffer> {
  await tui.waitFor(/Second half/);
  for (const [i, song] of songs.entries()) await queueSong(tui, song, i + 1);
  tui.keys('Tab');
  tui.keys('g');
  const recording = await pulse.record();
  tui.keys('Enter');
  await tui.waitFor(/Playing\s+Sine - First half/);
  await until(
    'the songs played',
    () => (recording.seconds() > 2 && /Stopped/.test(tui.screen()) ? true : undefined),
    30_000,
  );
  return recording.stop();
}

function assertSeamless(pcm: Buffer, seconds: number): void {
  const stretch = soundStretch(pcm);
  assert.deepEqual(stretch.silentWindows, [], `no silent window between ${stretch.start} s and ${stretch.end} s`);
  // A gap of even 30 ms per join would show here too.
  assert.ok(
    Math.abs(stretch.end - stretch.start - seconds) < 0.06,
    `${seconds} s of sound, heard ${(stretch.end - stretch.start).toFixed(2)} s`,
  );
}

describe('gapless playback, end to end', () => {
  it('two halves of one sine (MP3 by lame, then WAV) play as one: no silent 10 ms at any join', async () => {
    const tui = player(path.join(work, 'state-gapless'));
    try {
      assertSeamless(await playQueued(tui, library.gapless), 12);
      await quit(tui);
    } finally {
      tui.kill();
    }
  });

  it('the same from the cache (a second run), and over UDP (--transport udp)', async () => {
    const mp3 = library.gapless.slice(0, 2);
    const cacheDir = path.join(work, 'cache-gapless-again');
    const runs = [
      ['--cache-dir', cacheDir],
      ['--cache-dir', cacheDir],
      ['--transport', 'udp', '--udp-port', String(daemon.udpPort)],
    ];
    for (const [i, extra] of runs.entries()) {
      const tui = player(path.join(work, `state-gapless-${i}`), extra);
      try {
        assertSeamless(await playQueued(tui, mp3), 6);
        await quit(tui);
      } finally {
        tui.kill();
      }
    }
  });
});
