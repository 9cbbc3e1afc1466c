import { AppError } from "../../shared/errors.ts";

export interface ThrottleOptions {
  maxAttempts: number;
  windowMs: number;
  /** Bound on remembered keys, so a flood of distinct IPs cannot grow memory without limit. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * Counts attempts per key — a client address, an account — in fixed windows. An attempt is counted
 * before the expensive work it guards, so concurrent attempts cannot all slip under the limit;
 * one that turns out not to count (a successful login, work refused for capacity) is released.
 * Windows are (re)inserted when they start, so the Map's order is expiry order: pruning pops from
 * the front.
 */
export class AttemptThrottle {
  private readonly windows = new Map<string, { attempts: number; resetAt: number }>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: ThrottleOptions) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  get size(): number {
    return this.windows.size;
  }

  /**
   * Counts one attempt on every key, or, when any key has used up its window, counts nothing and
   * throws RATE_LIMITED with the seconds to wait.
   */
  reserve(keys: string[]): void {
    const now = this.now();
    this.prune(now);
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && w.resetAt > now && w.attempts >= this.opts.maxAttempts) {
        throw new AppError(
          "RATE_LIMITED",
          "too many attempts, try again later",
          (w.resetAt - now) / 1000,
        );
      }
    }
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && w.resetAt > now) {
        w.attempts++;
        continue;
      }
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) {
        this.windows.delete(this.windows.keys().next().value!);
      }
      this.windows.set(key, { attempts: 1, resetAt: now + this.opts.windowMs });
    }
  }

  /** Takes back an attempt counted by `reserve`. */
  release(keys: string[]): void {
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && w.attempts > 0) w.attempts--;
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
