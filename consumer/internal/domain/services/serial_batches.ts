/**
 * Keyed items handed to `flush` one batch at a time: whatever is put in one turn goes together,
 * and what arrives while a batch is in flight waits for the next (latest value per key), so a
 * slow store sees one statement at a time, never a pile of them.
 */
export class SerialBatches<K, V> {
  private readonly waiting = new Map<K, V>();
  private scheduled = false;
  private inFlight = false;

  constructor(private readonly flush: (batch: V[]) => Promise<void>) {}

  put(key: K, value: V): void {
    this.waiting.set(key, value);
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      while (this.waiting.size) {
        const batch = [...this.waiting.values()];
        this.waiting.clear();
        await this.flush(batch);
      }
    } finally {
      this.inFlight = false;
    }
  }
}
