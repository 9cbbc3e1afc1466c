import { type Rate, TokenBucket } from "./token_bucket.ts";

/** Buckets idle this long are dropped (once there are many), so the map stays bounded. */
const IDLE_MS = 60_000;
const SWEEP_FROM = 1024;

/** One token bucket per key (a user), created on first use. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, { bucket: TokenBucket; usedAt: number }>();

  constructor(private readonly rate: Rate) {}

  /** The key's bucket, marked as used now. */
  of(key: string): TokenBucket {
    const now = Date.now();
    let entry = this.buckets.get(key);
    if (!entry) {
      this.sweep(now);
      entry = { bucket: new TokenBucket(this.rate), usedAt: now };
      this.buckets.set(key, entry);
    }
    entry.usedAt = now;
    return entry.bucket;
  }

  private sweep(now: number): void {
    if (this.buckets.size < SWEEP_FROM) return;
    for (const [key, { usedAt }] of this.buckets) {
      if (now - usedAt > IDLE_MS) this.buckets.delete(key);
    }
  }
}
