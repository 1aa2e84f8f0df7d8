/** The worker thread of embedded-reader.ts: reads the pictures and lyrics it is asked for. */
import { parentPort } from 'node:worker_threads';
import { readEmbedded, type EmbeddedRequest } from './embedded.js';

parentPort?.on('message', (message: { id: number; request: EmbeddedRequest }) => {
  void readEmbedded(message.request).then((result) => {
    const transfer = 'picture' in result && result.picture ? [result.picture.data.buffer as ArrayBuffer] : [];
    parentPort?.postMessage({ id: message.id, result }, transfer);
  });
});
