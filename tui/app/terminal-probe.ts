/**
 * The terminal asked, before the screen starts, what it can draw a cover as (views/terminal-graphics.ts
 * has the questions and reads the answers). Its answers would otherwise come in as key presses. A
 * terminal that answers nothing within the wait (a pipe, a very old one) gets half blocks.
 */
import {
  answersComplete,
  GRAPHICS_QUESTIONS,
  graphicsOf,
  HALF_BLOCKS,
  type CoverGraphics,
} from '../views/terminal-graphics.js';

/** Every terminal answers DA1 at once; one over ssh on a slow link gets this long. */
const ANSWER_WAIT_MS = 700;

export async function probeTerminalGraphics(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stdout,
): Promise<CoverGraphics> {
  if (!input.isTTY || !output.isTTY) return HALF_BLOCKS;
  let answers = '';
  const wasRaw = input.isRaw;
  input.setRawMode(true);
  try {
    return await new Promise<CoverGraphics>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        input.off('data', heard);
        resolve(graphicsOf(answers));
      };
      const heard = (chunk: Buffer): void => {
        answers += chunk.toString('latin1');
        if (answersComplete(answers)) done();
      };
      const timer = setTimeout(done, ANSWER_WAIT_MS);
      input.on('data', heard);
      output.write(GRAPHICS_QUESTIONS);
    });
  } finally {
    input.setRawMode(wasRaw);
    input.pause();
  }
}
