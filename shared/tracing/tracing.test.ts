import assert from "node:assert/strict";
import { activeTraceparent, SpanKind, traced, tracingOn } from "./tracing.ts";

// Tests run without OTEL_DENO: e2e/tracing.test.ts covers it turned on, across real processes.
Deno.test("tracing: off by default, and then nothing is traced or propagated", async () => {
  assert.equal(tracingOn, false);
  const inside = await traced(
    "rtm.test",
    SpanKind.INTERNAL,
    {},
    () => Promise.resolve(activeTraceparent()),
  );
  assert.equal(inside, undefined);
});
