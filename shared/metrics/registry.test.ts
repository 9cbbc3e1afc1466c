import assert from "node:assert/strict";
import { createRegistry } from "./registry.ts";

async function pendingTimers(registry: ReturnType<typeof createRegistry>): Promise<number> {
  const page = await registry.metrics();
  const line = page.split("\n").find((l) => l.startsWith('nodejs_active_resources{type="Timeout"'));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

// The fault suite's churn scenario finds leaked timers by this series (prom-client reads it from
// process.getActiveResourcesInfo(), which Deno implements for timers).
Deno.test("/metrics counts the process's pending timers", async () => {
  const registry = createRegistry("test");
  const before = await pendingTimers(registry);
  const timers = Array.from({ length: 7 }, () => setTimeout(() => {}, 60_000));
  const interval = setInterval(() => {}, 60_000);
  try {
    assert.equal(await pendingTimers(registry), before + 8);
  } finally {
    timers.forEach(clearTimeout);
    clearInterval(interval);
  }
  assert.equal(await pendingTimers(registry), before);
});
