/** The worker thread that makes the demo library (demo-library.ts, makeDemoLibrary). */
import { parentPort, workerData } from 'node:worker_threads';
import { ensureDemoLibrary } from './demo-library.js';

const { dir } = workerData as { dir: string };
ensureDemoLibrary(dir, (progress) => parentPort?.postMessage({ progress })).then(
  (written) => parentPort?.postMessage({ written }),
  (error: unknown) => parentPort?.postMessage({ error: (error as Error).message }),
);
