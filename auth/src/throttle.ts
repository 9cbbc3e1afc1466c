import { AppError } from "../../shared/errors.ts";

export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  /** Bound on remembered keys, so a flood of distinct IPs cannot grow memory without limit. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * Counts failures (wrong password, taken email …) per key — an IP, an account — in fixed windows.
 * A key that used up its failures is refused until its window ends, before any expensive work.
 * Windows are (re)inserted when they start, so the Map's order is expiry order: pruning pops from
 * the front.
 */
export class FailureThrottle {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: ThrottleOptions) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Throws RATE_LIMITED (with the seconds to wait) when any key is over its limit. */
  check(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && w.resetAt > now && w.failures >= this.opts.maxFailures) {
        throw new AppError(
          "RATE_LIMITED",
          "too many failed attempts, try again later",
          (w.resetAt - now) / 1000,
        );
      }
    }
  }

  fail(keys: string[]): void {
    const now = this.now();
    this.prune(now);
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && w.resetAt > now) {
        w.failures++;
        continue;
      }
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) {
        this.windows.delete(this.windows.keys().next().value!);
      }
      this.windows.set(key, { failures: 1, resetAt: now + this.opts.windowMs });
    }
  }

  forget(key: string): void {
    this.windows.delete(key);
  }

  private prune(now: number): void {
    for (const [key, w] of this.windows) {
      if (w.resetAt > now) break;
      this.windows.delete(key);
    }
  }
}
