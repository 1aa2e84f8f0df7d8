/** A worker thread of the analysis pool: analyses the files it is sent, a few at a time. */
import { parentPort } from 'node:worker_threads';
import { analyzeFile } from './analyze.js';
import type { FoundFile } from './walk.js';

parentPort?.on('message', (message: { id: number; file: FoundFile }) => {
  void analyzeFile(message.file).then((result) => parentPort?.postMessage({ id: message.id, result }));
});
