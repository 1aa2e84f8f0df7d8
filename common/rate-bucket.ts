/**
 * A token bucket: `burst` at once, then `perSecond` on average. Pure: the time is passed in. What a
 * flood is bounded by (rings, voice packets, status changes, password guesses).
 *
 * @example const rings = new RateBucket(10 / 60, 10); rings.take(Date.now()) // false past ten a minute
 */
export class RateBucket {
  private tokens: number;
  private at: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes `count` tokens if there are that many now: whether the thing may happen. */
  take(nowMs: number, count = 1): boolean {
    this.refill(nowMs);
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }

  /** Whether `count` tokens are there now (none taken). */
  has(nowMs: number, count = 1): boolean {
    this.refill(nowMs);
    return this.tokens >= count;
  }

  /** Seconds until `count` tokens are there (0: now). */
  waitSeconds(nowMs: number, count = 1): number {
    this.refill(nowMs);
    return this.tokens >= count ? 0 : (count - this.tokens) / this.perSecond;
  }

  /** Whether the bucket is full again (nothing to remember about its user). */
  full(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.burst;
  }

  private refill(nowMs: number): void {
    if (this.at !== undefined && nowMs > this.at)
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.at) / 1000) * this.perSecond);
    this.at = this.at === undefined ? nowMs : Math.max(this.at, nowMs);
  }
}

/** Buckets by key (a device, an address), each made on first use and forgotten once full again. */
export class RateBuckets {
  private readonly buckets = new Map<string, RateBucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(key: string, nowMs: number, count = 1): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new RateBucket(this.perSecond, this.burst)));
    const taken = bucket.take(nowMs, count);
    if (this.buckets.size > 1024) this.sweep(nowMs);
    return taken;
  }

  /** Whether the key has a token now (none taken); a key never seen has its whole burst. */
  has(key: string, nowMs: number): boolean {
    return this.buckets.get(key)?.has(nowMs) ?? this.burst >= 1;
  }

  waitSeconds(key: string, nowMs: number): number {
    return this.buckets.get(key)?.waitSeconds(nowMs) ?? 0;
  }

  /** Forgets the keys whose buckets are full: a flood of keys costs memory only while they are used. */
  private sweep(nowMs: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.full(nowMs)) this.buckets.delete(key);
  }
}
