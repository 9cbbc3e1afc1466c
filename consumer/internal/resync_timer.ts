import type { Logger } from "../../shared/logging/logger.ts";

/**
 * Runs `resync` every `everyMs` (the delivery bus is at-most-once: this bounds how long a lost
 * delivery goes unnoticed). One at a time: a slow database makes the next tick skip, never pile
 * up. Returns the stop.
 */
export function startResyncTimer(
  resync: () => Promise<void>,
  everyMs: number,
  logger: Logger,
): () => void {
  let resyncing = false;
  const timer = setInterval(() => {
    if (resyncing) return;
    resyncing = true;
    resync().catch((err) => logger.warn("delivery resync failed", { err }))
      .finally(() => resyncing = false);
  }, everyMs);
  return () => clearInterval(timer);
}
