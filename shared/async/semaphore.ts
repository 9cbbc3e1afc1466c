/**
 * At most `permits` holders at a time; the rest wait in arrival order. `acquire` resolves with
 * the release function (call it exactly once).
 */
export class Semaphore {
  private readonly waiting: (() => void)[] = [];

  constructor(private permits: number) {}

  /** True when an `acquire` now would have to wait. */
  get full(): boolean {
    return this.permits === 0;
  }

  /** How many are waiting for a permit. */
  get queued(): number {
    return this.waiting.length;
  }

  async acquire(): Promise<() => void> {
    if (this.permits > 0) this.permits--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.permits++;
    };
  }
}
