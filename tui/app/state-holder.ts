/**
 * Holds the player's state and puts each action and event through the state machine; whoever must
 * act on a change subscribes. A subscriber may dispatch in turn: the state it is handed as `after`
 * is the state as it stands when it runs.
 */
import type { Action, Effect, PlayerEvent, Update } from '../state/actions.js';
import { applyEvent } from '../state/events.js';
import type { PlayerState } from '../state/model.js';
import { applyAction } from '../state/update.js';

export type ChangeListener = (before: PlayerState, after: PlayerState, effects: readonly Effect[]) => void;

export class StateHolder {
  private readonly listeners: ChangeListener[] = [];

  constructor(private current: PlayerState) {}

  get state(): PlayerState {
    return this.current;
  }

  dispatch(action: Action): void {
    this.apply(applyAction(this.current, action));
  }

  tell(event: PlayerEvent): void {
    this.apply(applyEvent(this.current, event));
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  private apply(update: Update): void {
    const before = this.current;
    this.current = update.state;
    for (const listener of this.listeners) listener(before, this.current, update.effects);
  }
}
