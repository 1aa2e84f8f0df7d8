/**
 * The picture scaler's own process (picture-scaler.ts starts it): sharp scales one picture per
 * message and answers with the result. libvips and its buffers live here, not in the daemon: its
 * memory goes back to the system when this process ends after a quiet while, and a picture made
 * to crash the decoder ends this process, not the daemon.
 */
import type { ScaleReply, ScaleRequest } from './picture-messages.js';

/** A picture larger than this many pixels is not decoded (a decompression bomb in a cover file). */
const MAX_INPUT_PIXELS = 50_000_000;

type Sharp = (typeof import('sharp'))['default'];

async function loadSharp(): Promise<Sharp | string> {
  try {
    const sharp = (await import('sharp')).default;
    // No cache of its own (the daemon keeps what is asked again), one thread: this process stays small.
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  } catch (error) {
    return (error as Error).message;
  }
}

const send = (reply: ScaleReply): void => {
  process.send?.(reply);
};

const loaded = loadSharp();
process.on('message', (request: ScaleRequest) => {
  void loaded.then(async (sharp) => {
    if (typeof sharp === 'string') return send({ id: request.id, unavailable: sharp });
    try {
      const resized = sharp(request.data, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).resize(
        request.size,
        request.size,
        { fit: 'inside', withoutEnlargement: true },
      );
      const data = await (request.mime === 'image/png' ? resized.png() : resized.jpeg({ quality: 85 })).toBuffer();
      send({ id: request.id, data });
    } catch (error) {
      send({ id: request.id, error: (error as Error).message });
    }
  });
});
// The daemon gone (or done with pictures): nothing is left to do.
process.on('disconnect', () => process.exit(0));
