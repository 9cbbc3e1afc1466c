/** Generations per window: a key is remembered for the window and at most a quarter longer. */
const SLICES = 4;

/**
 * The keys appended within the duplicate window and their stream seqs, for the in-process broker.
 * Keys live in generations of a quarter window each; when a new generation starts, the oldest
 * beyond the window goes whole. So a key is remembered for at least the window, with no time
 * stamp, object or timer per key: at 10,000 msg/s the window holds 1.2 million keys
 * (bench/NOTES.md, fix 22).
 */
export class DedupeWindow {
  /** Newest first; the newest began at `started`. */
  private generations: Map<string, number>[] = [new Map()];
  private started: number;

  constructor(private readonly windowMs: number, now = Date.now()) {
    this.started = now;
  }

  get(key: string, now = Date.now()): number | undefined {
    this.advance(now);
    for (const generation of this.generations) {
      const seq = generation.get(key);
      if (seq !== undefined) return seq;
    }
    return undefined;
  }

  set(key: string, seq: number, now = Date.now()): void {
    this.advance(now);
    this.generations[0].set(key, seq);
  }

  delete(key: string): void {
    for (const generation of this.generations) generation.delete(key);
  }

  private advance(now: number): void {
    const slice = this.windowMs / SLICES;
    const passed = Math.floor((now - this.started) / slice);
    if (passed < 1) return;
    this.started += passed * slice;
    // One generation per quarter that began (empty ones for quarters nobody appended in), and
    // SLICES + 1 in all: the oldest still holds keys set less than a window ago.
    const fresh = Array.from({ length: Math.min(passed, SLICES + 1) }, () => new Map());
    this.generations = [...fresh, ...this.generations].slice(0, SLICES + 1);
  }
}
