/**
 * The system's ffmpeg, which the daemon runs for what it has no decoder of its own for (M4A) and
 * to resample: the radio's songs, the loudness of M4A songs. Optional: without it, those are
 * refused with a reason.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Whether an `ffmpeg` is on the PATH (looked at once). */
export const hasFfmpeg = ((): (() => boolean) => {
  let found: boolean | undefined;
  return () =>
    (found ??= (process.env['PATH'] ?? '').split(path.delimiter).some((dir) => {
      try {
        accessSync(path.join(dir || '.', 'ffmpeg'), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }));
})();
