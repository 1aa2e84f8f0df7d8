/** The loudness pass's worker thread (loudness-pass.ts): measures the groups of songs it is sent, one at a time. */
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { measureLoudness } from './loudness.js';
import type { LoudnessRequest } from './loudness-pass.js';

// Linux keeps a nice value per thread: this lowers this thread alone (and the ffmpeg it starts),
// so that the daemon's serving and a busy machine's own work come first.
try {
  os.setPriority(19);
} catch {
  // not allowed here: measured at the normal priority
}

// The pass sends one request at a time.
parentPort?.on('message', (request: LoudnessRequest) => {
  void measureLoudness(request.songs, request.asAlbum, request.budgetMs).then((result) =>
    parentPort?.postMessage({ id: request.id, result }),
  );
});
