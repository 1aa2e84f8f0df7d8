/**
 * Analyses many files on every core: a cold scan is mostly reading and walking frames, which one
 * thread cannot do for thousands of files as fast as the disk cache can hand them out. Small
 * batches (a rescan after one file changed) stay on the main thread: starting workers costs more.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { analyzeFile, type Analysis } from './analyze.js';
import type { FoundFile } from './walk.js';

/** Below this many files, workers are not worth their start-up. */
const POOL_THRESHOLD = 32;
/** Files in flight per thread: enough to overlap reads with parsing. */
const PER_THREAD = 4;

async function analyzeHere(files: FoundFile[], signal: AbortSignal, onDone: () => void): Promise<Analysis[]> {
  const results: Analysis[] = new Array(files.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length && !signal.aborted) {
      const index = next++;
      results[index] = await analyzeFile(files[index] as FoundFile);
      onDone();
    }
  };
  await Promise.all(Array.from({ length: PER_THREAD * 2 }, lane));
  return results;
}

async function analyzeInWorkers(
  files: FoundFile[],
  threads: number,
  signal: AbortSignal,
  onDone: () => void,
): Promise<Analysis[]> {
  const results: Analysis[] = new Array(files.length);
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./analyze-worker.js', import.meta.url)));
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            let inFlight = 0;
            const feed = (): void => {
              while (inFlight < PER_THREAD && next < files.length) {
                const id = next++;
                inFlight++;
                worker.postMessage({ id, file: files[id] });
              }
              if (inFlight === 0) resolve();
            };
            worker.on('message', (message: { id: number; result: Analysis }) => {
              results[message.id] = message.result;
              inFlight--;
              onDone();
              feed();
            });
            worker.on('error', reject);
            signal.addEventListener('abort', () => resolve(), { once: true }); // the workers are terminated below
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

/** Analyses `files`, results in the same order, `onDone` told of each; on `signal`, stops early (results then incomplete). */
export function analyzeFiles(
  files: FoundFile[],
  signal: AbortSignal,
  onDone: () => void = () => {},
): Promise<Analysis[]> {
  const threads = Math.min(os.availableParallelism(), 8);
  return files.length < POOL_THRESHOLD || threads < 2
    ? analyzeHere(files, signal, onDone)
    : analyzeInWorkers(files, threads, signal, onDone);
}
