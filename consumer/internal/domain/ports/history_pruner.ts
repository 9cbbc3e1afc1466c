export interface RetentionRule {
  /** Keep the newest N messages of each channel. */
  maxCount?: number;
  /** Keep messages sent within this many seconds. */
  maxAgeSeconds?: number;
}

/** Deletes messages past a namespace's retention. */
export interface HistoryPruner {
  /** Deletes at most `limit` messages of `namespace`'s channels outside `rule`; resolves how many. */
  prune(namespace: string, rule: RetentionRule, limit: number): Promise<number>;
}
