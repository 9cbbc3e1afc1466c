import assert from "node:assert/strict";
import { eventually } from "./eventually.ts";

Deno.test("eventually: returns once the check holds, fails at its deadline", async () => {
  let calls = 0;
  await eventually("third call", () => ++calls >= 3, { everyMs: 1 });
  assert.equal(calls, 3);
  await assert.rejects(
    eventually("never", () => Promise.resolve(false), { timeoutMs: 30, everyMs: 5 }),
    /never: not within 30 ms/,
  );
});
