/** Granularity of the wheel: an expiry fires within this much of its deadline. */
const TICK_MS = 250;

/**
 * Deadlines for many sockets (token expiry) on one shared timer instead of one `setTimeout` each:
 * a timer per socket is a handle, a closure and a heap entry in the runtime, 10,000 of them for
 * 10,000 idle sockets. Deadlines fall into buckets of TICK_MS; one interval, running only while
 * something is due, fires every bucket whose time has come. Adding, moving and removing are O(1).
 */
export class ExpiryWheel<T> {
  private readonly buckets = new Map<number, Set<T>>();
  private readonly slotOf = new Map<T, number>();
  /** The last tick already fired. */
  private fired = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly expire: (item: T) => void) {}

  get size(): number {
    return this.slotOf.size;
  }

  /** Fires `expire(item)` at `atMs` (epoch ms); replaces the item's earlier deadline. */
  set(item: T, atMs: number): void {
    this.delete(item);
    if (!this.timer) {
      // Nothing was due while the timer was off: start counting ticks from now.
      this.fired = Math.floor(Date.now() / TICK_MS);
      this.timer = setInterval(() => this.tick(), TICK_MS);
      Deno.unrefTimer(this.timer);
    }
    // A deadline already past fires on the next tick.
    const slot = Math.max(Math.floor(atMs / TICK_MS), this.fired + 1);
    let bucket = this.buckets.get(slot);
    if (!bucket) this.buckets.set(slot, bucket = new Set());
    bucket.add(item);
    this.slotOf.set(item, slot);
  }

  delete(item: T): void {
    const slot = this.slotOf.get(item);
    if (slot === undefined) return;
    this.slotOf.delete(item);
    const bucket = this.buckets.get(slot)!;
    bucket.delete(item);
    if (bucket.size === 0) this.buckets.delete(slot);
  }

  private tick(): void {
    const now = Math.floor(Date.now() / TICK_MS);
    while (this.fired < now) {
      const bucket = this.buckets.get(++this.fired);
      if (!bucket) continue;
      this.buckets.delete(this.fired);
      for (const item of bucket) {
        this.slotOf.delete(item);
        this.expire(item);
      }
    }
    if (this.slotOf.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
