/**
 * A change told at once, then at most once per `windowMs` however many more come: the last of a
 * burst is always told. What keeps a flood of changes (a client setting its status thousands of
 * times a second) from waking every idler as often.
 */
export interface Coalesced {
  (): void;
  /** Forgets a change waiting to be told (the daemon stops). */
  cancel(): void;
}

export function coalesce(tell: () => void, windowMs: number): Coalesced {
  let timer: NodeJS.Timeout | undefined;
  let waiting = false;
  const windowEnds = (): void => {
    timer = undefined;
    if (!waiting) return;
    waiting = false;
    tell();
    open();
  };
  const open = (): void => {
    timer = setTimeout(windowEnds, windowMs);
    timer.unref();
  };
  const changed = (() => {
    if (timer) {
      waiting = true;
      return;
    }
    tell();
    open();
  }) as Coalesced;
  changed.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
    waiting = false;
  };
  return changed;
}
