import assert from "node:assert/strict";
import { TokenBucket } from "./token_bucket.ts";

Deno.test("token bucket: a full burst, then one token per 1/rate seconds, never above burst", () => {
  let now = 0;
  const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, () => now);
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [
    true,
    true,
    true,
    false,
  ]);
  assert.ok(Math.abs(bucket.retryAfterSeconds() - 0.1) < 1e-9);
  now = 50; // half a token
  assert.equal(bucket.take(), false);
  assert.ok(Math.abs(bucket.retryAfterSeconds() - 0.05) < 1e-9);
  now = 100;
  assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  now = 60_000; // a long idle refills to the burst only
  assert.equal([1, 2, 3, 4].filter(() => bucket.take()).length, 3);
});
