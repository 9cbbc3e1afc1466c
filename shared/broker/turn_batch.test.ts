import assert from "node:assert/strict";
import { turnBatcher } from "./turn_batch.ts";

Deno.test("turn batcher: calls of one turn run together on the next, in order, results kept", async () => {
  const soon = turnBatcher();
  const ran: number[] = [];
  const results = [1, 2, 3].map((n) =>
    soon(() => {
      ran.push(n);
      return Promise.resolve(n * 10);
    })
  );
  assert.deepEqual(ran, [], "nothing runs in the calling turn");
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(ran, [1, 2, 3]);
  assert.deepEqual(await Promise.all(results), [10, 20, 30]);
});

Deno.test("turn batcher: a failing call rejects only its own promise", async () => {
  const soon = turnBatcher();
  const ok = soon(() => Promise.resolve("ok"));
  const thrown = soon((): Promise<string> => {
    throw new Error("sync");
  });
  const rejected = soon(() => Promise.reject(new Error("async")));
  assert.equal(await ok, "ok");
  await assert.rejects(thrown, /sync/);
  await assert.rejects(rejected, /async/);
  // The next turn batches afresh.
  assert.equal(await soon(() => Promise.resolve(7)), 7);
});
