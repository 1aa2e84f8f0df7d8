/**
 * What the player is shown on, as the wiring sees it: a full screen (screen-face.ts, blessed), or
 * nothing at all (`streamtui --headless`). The wiring never touches the terminal itself, so a
 * player without a screen loads none of it.
 */
import type { PlayerState } from '../state/model.js';
import type { CoverGraphics } from './terminal-graphics.js';

export interface KeyPress {
  ch?: string | undefined;
  name?: string | undefined;
  ctrl?: boolean | undefined;
}

export interface PlayerFace {
  render(state: PlayerState): void;
  /** The terminal given back as it was. */
  destroy(): void;
  bell(): void;
  /** The cells the cover has now. */
  coverRoom(): { cols: number; rows: number };
  /** What the terminal draws a cover as: half blocks, or a picture of its own (kitty's protocol). */
  readonly graphics: CoverGraphics;
  onKey(handler: (key: KeyPress) => void): void;
  onResize(handler: () => void): void;
}
