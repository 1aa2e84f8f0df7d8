/**
 * The largest (or, with `sign` -1, the smallest) of values over a sliding window of time, in
 * constant time a value: each value kept beats every one after it, the best first, so a value
 * that can never be the best again is dropped as it is beaten. Pure: times are passed in.
 *
 * @example
 *   const latest = new WindowExtreme(10_000);
 *   latest.add(0, 80);
 *   latest.add(5_000, 20);
 *   latest.best; // 80, until 10 s after the first
 */
interface Timed {
  at: number;
  value: number;
}

export class WindowExtreme {
  private readonly values: Timed[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly sign: 1 | -1 = 1,
  ) {}

  add(at: number, value: number): void {
    while (this.values.length > 0 && this.sign * (this.values.at(-1) as Timed).value <= this.sign * value)
      this.values.pop();
    this.values.push({ at, value });
    this.expire(at);
  }

  /** Forgets what is older than the window at `now` (add does so too). */
  expire(now: number): void {
    while (this.values.length > 0 && now - (this.values[0] as Timed).at > this.windowMs) this.values.shift();
  }

  /** The best of the window, or undefined when it holds none. */
  get best(): number | undefined {
    return this.values[0]?.value;
  }

  clear(): void {
    this.values.length = 0;
  }
}
