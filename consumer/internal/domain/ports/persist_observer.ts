/** Outcome hooks for metrics, so the domain stays free of a metrics library. */
export interface PersistObserver {
  batchStored(size: number, seconds: number): void;
  deadLettered(reason: string): void;
  storeFailed(): void;
  /** How many partitions this instance persists now. */
  partitionsOwned(count: number): void;
}
