/**
 * A long first scan seen by people: `streamd status` and the player's library panel say how far
 * it is (`scanning 1,234 of 20,000 files`), then the library fills. The daemon runs as `streamd
 * start` does it, over 20,000 hard links of one MP3 (Debian's lame), several seconds of scan here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, sandbox, type Sandbox, testStreamtui } from '../helpers/cli.js';
import { hardLinkLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';
import { Tmux } from '../helpers/tmux.js';

const FILES = 20_000;
const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-scan-e2e-'));
let music = '';
let box: Sandbox;

before(() => {
  music = hardLinkLibrary(work, FILES);
  box = sandbox();
});
after(() => {
  box.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('a long first scan', () => {
  it(
    'streamd status and the library panel say how far it is, then the library fills',
    { timeout: 180_000 },
    async () => {
      const port = await freePort();
      const args = ['--music', music, '--state-dir', box.stateDir, '--port', String(port)];
      assert.equal(box.streamd(['start', ...args]).code, 0, 'start returns once it listens, before the scan');
      const tui = Tmux.start(
        box.home,
        [
          ...testStreamtui(),
          '--port',
          String(port),
          '--name',
          'watcher',
          '--cache-dir',
          path.join(box.home, 'cache'),
          '--audio',
          'null',
          '--no-calls',
        ],
        {
          XDG_CONFIG_HOME: path.join(box.home, 'config'),
          STREAMTUI_LOG: path.join(box.home, 'player.log'),
        },
      );
      try {
        const status = await until(
          'status during the scan',
          () =>
            /^songs \d+ \(catalog loading: scanning [\d,]+ of 20,000 files\)/m.exec(
              box.streamd(['status', ...args]).stdout,
            )?.[0],
          60_000,
        );
        assert.ok(status);
        await tui.waitFor(/streamd is scanning [\d,]+ of 20,000 files\.\.\./, 60_000);
        await tui.waitFor(/Library \(20000\)/, 120_000);
        assert.match(
          box.streamd(['status', ...args]).stdout,
          /^songs 20000 \(catalog ready\)/m,
          'and status says nothing of a scan once done',
        );
        tui.keys('q');
        assert.equal(await tui.exitCode(), 0);
      } finally {
        tui.kill();
        box.streamd(['stop', ...args]);
      }
    },
  );
});
