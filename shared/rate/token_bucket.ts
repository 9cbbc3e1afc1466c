/** A sustained rate with a burst allowance. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** One clock for every bucket: a bound function per bucket cost 48 bytes per socket. */
const monotonicNow = () => performance.now();

/**
 * A token bucket: `perSecond` refill, at most `burst` tokens. `now` is injectable so the
 * arithmetic is testable without sleeping.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: Rate,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = rate.burst;
    this.last = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until one token is available. */
  retryAfterSeconds(): number {
    this.refill();
    return Math.max(0, (1 - this.tokens) / this.rate.perSecond);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(
      this.rate.burst,
      this.tokens + ((t - this.last) / 1000) * this.rate.perSecond,
    );
    this.last = t;
  }
}
