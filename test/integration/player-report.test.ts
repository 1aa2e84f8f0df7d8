/**
 * What a player says of itself (`att player`) to a daemon older than `pos` (the queue entry
 * playing): such a daemon refuses the whole line, so the player says it again without `pos`, and
 * no more `pos` on that connection; the daemon still learns the volume, the queue and the control.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonClient } from '../../tui/daemon-link/daemon-client.js';
import { DaemonSync } from '../../tui/daemon-link/daemon-sync.js';
import { fakeDaemon } from '../helpers/fake-daemon.js';

describe("a daemon older than 'att player pos'", () => {
  it('is told the rest without it', async () => {
    const said: string[] = [];
    // The usage error an older streamd answered, for the line it did not know.
    const older = await fakeDaemon((line) => {
      if (!line.startsWith('att player')) return undefined;
      said.push(line);
      return / pos /.test(`${line} `) ? 'ERR bad_argument usage: att player [volume <0-100>]\n' : undefined;
    });
    const control = new DaemonClient({ host: '127.0.0.1', port: older.port, name: 'kitchen' });
    const events = new DaemonClient({ host: '127.0.0.1', port: older.port, name: 'kitchen' });
    const warnings: string[] = [];
    const sync = new DaemonSync(
      control,
      events,
      {
        library: () => {},
        stickers: () => {},
        playlists: () => {},
        catalogState: () => {},
        devices: () => {},
        radioListeners: () => {},
        warning: (text) => warnings.push(text),
        debug: () => {},
      },
      () => false,
      false,
    );
    try {
      control.start();
      await once(control, 'online');
      sync.publishPlayer({ volume: 80, queueLength: 3, control: true, queuePos: 1 });
      for (const deadline = Date.now() + 5000; said.length < 2 && Date.now() < deadline;) await sleep(20);
      sync.publishPlayer({ volume: 70, queueLength: 3, control: true, queuePos: 2 });
      for (const deadline = Date.now() + 5000; said.length < 3 && Date.now() < deadline;) await sleep(20);
      assert.deepEqual(said, [
        'att player volume 80 queue 3 control yes pos 1',
        'att player volume 80 queue 3 control yes',
        'att player volume 70 queue 3 control yes',
      ]);
      assert.deepEqual(warnings, [], 'nothing to tell the listener');
    } finally {
      sync.close();
      control.close();
      events.close();
      older.close();
    }
  });
});
