import { sleep } from "../async/sleep.ts";

/**
 * Polls `check` until it holds, failing with `what` once `timeoutMs` has passed: how a test waits
 * for something nothing tells it about, never without a deadline.
 */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, everyMs = 50 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
