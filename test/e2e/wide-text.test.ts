/**
 * Names in Japanese, Korean, with emoji and with decomposed accents take the columns a terminal
 * gives them: every row of the library (list and tree) and of the queue fills its row and no more,
 * the durations stay on their row, and after G the last song is on screen with the cursor on it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { selectDevice, Tmux } from '../helpers/tmux.js';
import { TestClient } from '../helpers/client.js';
import { id3v2Tag } from '../../daemon/demo/id3-writer.js';
import { testStreamtui } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamtui-wide-'));
const NAMES = [
  '夜明けのブルース 東京の雨の中で 第二楽章 長い長い題名が続きます',
  '한국어 노래 제목',
  'Party 🎉 Time 🎶',
  'Cafe\u0301 com Leite e Pa\u0303o',
  'Coração Mötley',
];
/** Songs enough to scroll, sorted before the wide names: those are only on screen after G. */
const FILLER = Array.from({ length: 40 }, (_, i) => `Zz ${String(i).padStart(2, '0')} 終わりの歌`);
let fixtures: FixtureLibrary;
let daemon: TestDaemon;

before(async () => {
  fixtures = makeFixtureLibrary();
  const library = path.join(work, 'library');
  mkdirSync(library);
  for (const name of [...NAMES, ...FILLER])
    copyFileSync(path.join(fixtures.root, 'lamejs-cbr.mp3'), path.join(library, `${name}.mp3`));
  // A tagged song in a folder: another device playing it is shown by its tags, not its path.
  mkdirSync(path.join(library, 'tagged'));
  writeFileSync(
    path.join(library, 'tagged', 'rain.mp3'),
    Buffer.concat([
      id3v2Tag({ title: '雨の中で歌う長い歌の題名', artist: 'ブルース楽団' }),
      readFileSync(path.join(fixtures.root, 'lamejs-cbr.mp3')),
    ]),
  );
  daemon = await startTestDaemon(library);
});
after(async () => {
  await daemon.stop();
  fixtures.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/**
 * Columns a captured row takes, by the test's own reckoning (not the player's): Han, kana, hangul
 * and emoji shown as pictures two, marks none, the rest one.
 */
const columns = (line: string): number =>
  [...line].reduce(
    (sum, ch) =>
      sum +
      (/\p{M}/u.test(ch)
        ? 0
        : /[\p{Script_Extensions=Han}\p{Script_Extensions=Hiragana}\p{Script_Extensions=Katakana}\p{Script_Extensions=Hangul}\p{Emoji_Presentation}]/u.test(
              ch,
            )
          ? 2
          : 1),
    0,
  );

function player(cols: number, rows: number, name = 'wide'): Tmux {
  const dir = mkdtempSync(path.join(work, 'tty-'));
  return Tmux.start(
    dir,
    [
      ...testStreamtui(),
      '--port',
      String(daemon.port),
      '--udp-port',
      String(daemon.udpPort),
      '--name',
      name,
      '--cache-dir',
      path.join(dir, 'cache'),
      '--audio',
      'null',
    ],
    { XDG_CONFIG_HOME: path.join(dir, 'config'), STREAMTUI_LOG: path.join(dir, 'player.log') },
    cols,
    rows,
  );
}

/** Every row but the status line fills the terminal's width exactly, the panels' borders in place. */
function assertRows(screen: string, cols: number, rows: number): void {
  const lines = screen.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, rows, 'one line per row');
  for (const line of lines.slice(0, -1)) assert.equal(columns(line), cols, `a row not ${cols} columns wide:\n${line}`);
}

/** The one row that shows `name`, with its duration. */
function rowOf(screen: string, name: string): string {
  const found = screen.split('\n').filter((line) => line.includes(name));
  assert.equal(found.length, 1, `${name} on one row:\n${screen}`);
  return found[0] as string;
}

describe('wide characters', () => {
  for (const [cols, rows] of [
    [120, 30],
    [200, 40],
  ] as const) {
    it(`keep every row whole at ${cols}x${rows}: library, tree, queue, and the cursor after G`, async () => {
      const tui = player(cols, rows);
      try {
        const list = await tui.waitFor(/Party/);
        assertRows(list, cols, rows);
        for (const name of ['Cafe', 'Coração', 'Party']) assert.match(rowOf(list, name), /0:41/);

        // The names sort after the filler: G brings the last on screen, the cursor on it.
        tui.keys('G');
        const bottom = await tui.waitFor(/>.*한국어/);
        assertRows(bottom, cols, rows);
        assert.match(rowOf(bottom, '한국어'), /0:41/);
        // The long Japanese name, cut with … where it does not fit, keeps its duration on its row.
        assert.match(rowOf(bottom, '夜明けの'), cols === 120 ? /…[^│]*0:41/ : /続きます\.mp3 +0:41/);

        // Everything into the queue, shown in the right-hand column.
        tui.keys('g', 'a');
        await tui.waitFor(/Queue \(1, 0:41\)/);
        tui.keys('j', 'a', 'j', 'a', 'j', 'a', 'j', 'a');
        const queued = await tui.waitFor(/Queue \(5, 3:25\)/); // and their length: 5 x 0:41
        assertRows(queued, cols, rows);
        // A library row ends in the song's cached mark: the first song's, fetched ahead, may be there by now.
        const queueRows = queued.split('\n').filter((line) => /0:41 [ ◐●] +││.*\S.*0:41│$/.test(line));
        assert.equal(queueRows.length, 5, `each queued song with its duration:\n${queued}`);
        // The durations of the library and of the queue each in one column, wide names or not.
        for (const at of [0, 1]) {
          const columnsAt = new Set(
            queued
              .split('\n')
              .filter((line) => line.split('0:41').length > at + 1)
              .map((line) =>
                columns(
                  line
                    .split('0:41')
                    .slice(0, at + 1)
                    .join('0:41'),
                ),
              ),
          );
          assert.equal(columnsAt.size, 1, `durations in one column:\n${queued}`);
        }

        tui.keys('v');
        const tree = await tui.waitFor(/by artist/);
        assertRows(tree, cols, rows);
        tui.keys('q');
        assert.equal(await tui.exitCode(), 0);
      } finally {
        tui.kill();
      }
    });
  }

  it('shows another device’s song by its tags, the selected device’s row whole at 80x24', async () => {
    const tui = player(80, 24, 'desk');
    const kitchen = (await TestClient.connect(daemon.port)).client;
    try {
      await tui.waitFor(/Party/);
      await kitchen.line('hello kitchen');
      await kitchen.line('att status playing tagged/rain.mp3 0:07/0:41');
      const shown = await tui.waitFor(/kitchen +▶ ブルース楽団/);
      assert.doesNotMatch(shown, /tagged\/rain/, 'not the file path');
      assertRows(shown, 80, 24);
      await selectDevice(tui, 'kitchen');
      const selected = await tui.waitFor(/>.kitchen/);
      assertRows(selected, 80, 24);
      assert.match(rowOf(selected, 'kitchen'), /kitchen ▶ ブルース楽団 - /);
      tui.keys('q');
      assert.equal(await tui.exitCode(), 0);
    } finally {
      kitchen.close();
      tui.kill();
    }
  });
});
