import assert from "node:assert/strict";
import { withDeadline } from "./deadline.ts";

const late = () => new Error("late");
const after = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

Deno.test("deadline: work that finishes in time settles as the work did", async () => {
  assert.equal(await withDeadline(after(5, "done"), 1_000, late), "done");
  await assert.rejects(withDeadline(Promise.reject(new Error("boom")), 1_000, late), /boom/);
});

Deno.test("deadline: work that runs past it rejects with the timeout error, near the deadline", async () => {
  const started = performance.now();
  await assert.rejects(withDeadline(after(400, "too late"), 100, late), /late/);
  const took = performance.now() - started;
  assert.ok(took >= 100 && took < 300, `rejected after ${took} ms`);
});

Deno.test("deadline: many pending deadlines, each fires on its own time", async () => {
  const outcomes = await Promise.allSettled([
    withDeadline(after(10, 1), 200, late),
    withDeadline(after(300, 2), 50, late),
    withDeadline(after(20, 3), 500, late),
    withDeadline(new Promise<never>(() => {}), 100, late),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), [
    "fulfilled",
    "rejected",
    "fulfilled",
    "rejected",
  ]);
});
