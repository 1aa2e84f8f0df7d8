/**
 * A long first scan tells how far it is: `stats` carries `scan_files_done` / `scan_files_total`
 * while it runs, and `idle catalog` wakes with each step (once a second at most) so that players
 * show it without polling. The library: 10,000 hard links of one 60 s MP3 (Debian's lame), a few
 * seconds of analysis here; the daemon listens first and scans after, as `streamd run` does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../../common/limits.js';
import { DEFAULT_CALLS, DEFAULT_RADIO, DEFAULT_UDP } from '../../common/config-schema.js';
import { parseCatalogStats, scanText, type ScanProgress } from '../../common/protocol/replies.js';
import { Catalog } from '../../daemon/catalog/catalog.js';
import { silentLogger } from '../../daemon/log.js';
import { createStreamd } from '../../daemon/instance.js';
import { PlaylistStore } from '../../daemon/playlists/playlist-store.js';
import { PlayQueueStore } from '../../daemon/playlists/play-queue-store.js';
import { StickerStore } from '../../daemon/stickers/sticker-store.js';
import { TestClient } from '../helpers/client.js';
import { hardLinkLibrary } from '../helpers/fixtures.js';

const FILES = 10_000;
const work = mkdtempSync(path.join(os.tmpdir(), 'streamd-scan-'));
let music = '';

before(() => {
  music = hardLinkLibrary(work, FILES);
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('a long scan', () => {
  it(
    'tells its progress in stats, waking idle catalog as it goes, and says nothing of it once done',
    { timeout: 120_000 },
    async () => {
      const catalog = new Catalog(music, undefined, silentLogger);
      const stickers = await StickerStore.open(work, silentLogger);
      const playlists = await PlaylistStore.open(path.join(work, 'playlists'));
      const server = createStreamd(
        {
          host: '127.0.0.1',
          port: 0,
          udpPort: 0,
          radio: { ...DEFAULT_RADIO, enabled: false },
          udp: DEFAULT_UDP,
          calls: { ...DEFAULT_CALLS, max: 4 },
          limits: DEFAULT_LIMITS,
          password: undefined,
          version: 'test',
        },
        { catalog, stickers, playlists, playQueues: await PlayQueueStore.open(work), log: silentLogger },
      );
      const { port } = await server.listen();
      const { client } = await TestClient.connect(port);
      try {
        const scanning = catalog.open();
        const seen: Array<{ state: string; scan: ScanProgress | undefined }> = [];
        for (;;) {
          const stats = parseCatalogStats((await client.command('stats')).fields);
          seen.push({ state: stats.state, scan: stats.scan });
          if (stats.state === 'ready') break;
          assert.equal((await client.command('idle', 'catalog')).fields[0]?.[1], 'catalog');
        }
        await scanning;
        const during = seen.filter((entry) => entry.scan !== undefined).map((entry) => entry.scan as ScanProgress);
        assert.ok(during.length >= 1, `progress seen while scanning: ${JSON.stringify(seen)}`);
        assert.ok(
          during.every((scan) => scan.total === FILES && scan.done <= FILES),
          JSON.stringify(during),
        );
        assert.ok(
          during.some((scan) => scan.done > 0 && scan.done < FILES),
          `part way: ${JSON.stringify(during)}`,
        );
        assert.deepEqual(
          during.map((scan) => scan.done),
          during.map((scan) => scan.done).sort((a, b) => a - b),
          'only forward',
        );
        assert.equal(seen.at(-1)?.scan, undefined, 'ready: no scan fields');
        assert.equal(catalog.size, FILES);
      } finally {
        client.close();
        await server.close(500);
        await catalog.close();
        await stickers.close();
      }
    },
  );
});

describe('scanText', () => {
  const cases: Array<[ScanProgress, string]> = [
    [{ done: 0, total: 3 }, 'scanning 0 of 3 files'],
    [{ done: 1234, total: 20000 }, 'scanning 1,234 of 20,000 files'],
    [{ done: 1_000_000, total: 1_000_000 }, 'scanning 1,000,000 of 1,000,000 files'],
  ];
  for (const [scan, text] of cases) it(text, () => assert.equal(scanText(scan), text));

  it('stats without the scan fields, or with bad ones, have no scan', () => {
    assert.equal(
      parseCatalogStats([
        ['catalog', 'ready'],
        ['catalog_version', '3'],
      ]).scan,
      undefined,
    );
    assert.equal(
      parseCatalogStats([
        ['catalog', 'loading'],
        ['scan_files_done', 'x'],
        ['scan_files_total', '5'],
      ]).scan,
      undefined,
    );
    assert.deepEqual(
      parseCatalogStats([
        ['catalog', 'loading'],
        ['scan_files_done', '2'],
        ['scan_files_total', '5'],
      ]).scan,
      { done: 2, total: 5 },
    );
  });
});
