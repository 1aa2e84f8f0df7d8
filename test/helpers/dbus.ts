/** A private D-Bus session bus (Debian's dbus-daemon) on a socket in a temp dir, for MPRIS tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from './log-capture.js';

export interface SessionBus {
  env: { DBUS_SESSION_BUS_ADDRESS: string };
  stop(): void;
}

export async function startSessionBus(): Promise<SessionBus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-dbus-'));
  const socket = path.join(dir, 'bus');
  const daemon: ChildProcess = spawn(
    'dbus-daemon',
    ['--session', '--nofork', '--nopidfile', `--address=unix:path=${socket}`],
    { stdio: 'ignore' },
  );
  await until('dbus-daemon to listen', () => (existsSync(socket) ? true : undefined), 5000);
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}` },
    stop() {
      daemon.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
