/** Outcome hooks for metrics, so the domain stays free of a metrics library. */
export interface PersistObserver {
  batchStored(size: number, seconds: number): void;
  redelivered(count: number): void;
  deadLettered(reason: string): void;
  storeFailed(): void;
}
