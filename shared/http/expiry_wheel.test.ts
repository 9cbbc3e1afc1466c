import assert from "node:assert/strict";
import { ExpiryWheel } from "./expiry_wheel.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("expiry wheel: fires each deadline once, near its time, on one shared timer", async () => {
  const fired: [string, number][] = [];
  const start = Date.now();
  const wheel = new ExpiryWheel<string>((item) => fired.push([item, Date.now() - start]));
  wheel.set("past", start - 10_000);
  wheel.set("soon", start + 300);
  wheel.set("later", start + 700);
  wheel.set("moved", start + 300);
  wheel.set("moved", start + 1_000); // a refreshed token: the later deadline replaces the first
  wheel.set("gone", start + 300);
  wheel.delete("gone");
  assert.equal(wheel.size, 4);
  await sleep(1_600);
  assert.deepEqual(fired.map(([item]) => item), ["past", "soon", "later", "moved"]);
  for (const [item, at] of fired.slice(1)) {
    const due = { soon: 300, later: 700, moved: 1_000 }[item]!;
    assert.ok(Math.abs(at - due) <= 350, `${item} fired at ${at} ms, due at ${due}`);
  }
  assert.equal(wheel.size, 0);
  assert.equal(wheel["timer"], undefined, "the timer stops when nothing is due");
});
