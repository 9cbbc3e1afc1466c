import assert from "node:assert/strict";
import { DedupeWindow } from "./dedupe_window.ts";

Deno.test("dedupe window: a key is remembered for at least the window, then forgotten", () => {
  const window = new DedupeWindow(120_000, 0);
  window.set("early", 1, 0);
  window.set("late", 2, 29_999); // the last moment of the first quarter
  // Just short of a window after each was set: both still there.
  assert.equal(window.get("early", 119_999), 1);
  assert.equal(window.get("late", 29_999 + 119_999), 2);
  // A quarter window past that, both are gone (no key outlives 1.25 windows).
  assert.equal(window.get("early", 150_000), undefined);
  assert.equal(window.get("late", 150_000), undefined);
});

Deno.test("dedupe window: a long pause forgets everything at once; delete forgets one key", () => {
  const window = new DedupeWindow(1_000, 0);
  window.set("a", 1, 0);
  window.set("b", 2, 100);
  window.delete("a");
  assert.equal(window.get("a", 200), undefined);
  assert.equal(window.get("b", 200), 2);
  assert.equal(window.get("b", 10_000), undefined);
  window.set("c", 3, 10_000);
  assert.equal(window.get("c", 10_500), 3);
});
