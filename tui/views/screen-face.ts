/** The full-screen player's face: a blessed screen, the view drawn on it, its keys and size. */
import blessed from 'blessed';
import type { PlayerFace } from './face.js';
import { coverSize } from './layout.js';
import { HALF_BLOCKS, type CoverGraphics } from './terminal-graphics.js';
import { createView, type ViewOptions } from './view.js';

/** `graphics`: what the terminal said it draws a cover as (half blocks unless it said it draws pictures). */
export function createScreenFace(options: ViewOptions & { graphics?: CoverGraphics | undefined }): PlayerFace {
  const screen = blessed.screen({ smartCSR: true, fullUnicode: true, title: 'streamtui', autoPadding: false });
  const view = createView(screen, options);
  return {
    graphics: options.graphics ?? HALF_BLOCKS,
    render: (state) => view.render(state),
    destroy: () => view.destroy(),
    bell: () => screen.program.bell(),
    coverRoom: () => coverSize(screen.width as number, screen.height as number),
    onKey: (handler) =>
      screen.on('keypress', (ch: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) =>
        handler({ ch, name: key?.name, ctrl: key?.ctrl }),
      ),
    onResize: (handler) => screen.on('resize', handler),
  };
}
