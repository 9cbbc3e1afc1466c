/** How long to wait between attempts: doubling from `initialMs`, never more than `maxMs`. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 10_000 };

/**
 * The delay before attempt `attempt` (0-based): exponential, capped, with "equal jitter" (half
 * fixed, half random) so thousands of clients cut off at once do not come back at once, and a
 * delay is never so small that a broken server gets a hot loop.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * ceiling / 2;
}
