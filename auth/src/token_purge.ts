import type { Logger } from "../../shared/logging/logger.ts";
import type { RefreshTokenStore } from "./stores.ts";

export interface PurgeOptions {
  intervalMs: number;
  /** Rows per delete, and batches per run: each run is bounded, the rest waits for the next. */
  batchSize: number;
  maxBatches: number;
}

export const DEFAULT_PURGE: PurgeOptions = {
  intervalMs: 3_600_000,
  batchSize: 1_000,
  maxBatches: 100,
};

/**
 * Every refresh adds a row, so expired rows are deleted periodically to keep the table the size of
 * the live sessions. A failed run (database down) is logged and retried at the next interval.
 */
export function startTokenPurge(
  store: RefreshTokenStore,
  logger: Logger,
  opts: PurgeOptions = DEFAULT_PURGE,
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = async () => {
    let purged = 0;
    for (let i = 0; i < opts.maxBatches && !stopped; i++) {
      const n = await store.purgeExpired(opts.batchSize);
      purged += n;
      if (n < opts.batchSize) break;
    }
    if (purged > 0) logger.info("expired refresh tokens purged", { purged });
  };
  const timer = setInterval(() => {
    running = running.then(run).catch((err) =>
      logger.warn("refresh token purge failed", { err: String(err) })
    );
  }, opts.intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
