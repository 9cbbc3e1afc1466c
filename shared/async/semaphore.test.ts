import assert from "node:assert/strict";
import { Semaphore } from "./semaphore.ts";

Deno.test("semaphore: at most n holders, waiters served in arrival order, double release ignored", async () => {
  const s = new Semaphore(2);
  const order: string[] = [];
  const a = await s.acquire();
  const b = await s.acquire();
  const c = s.acquire().then((release) => (order.push("c"), release));
  const d = s.acquire().then((release) => (order.push("d"), release));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, [], "both permits held: nobody else gets in");
  a();
  a(); // a second release of the same permit must not let two in
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, ["c"]);
  b();
  (await c)();
  (await d)();
  assert.deepEqual(order, ["c", "d"]);
  // All permits back: two immediate acquires.
  await Promise.all([s.acquire(), s.acquire()]);
});
