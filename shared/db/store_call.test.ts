import assert from "node:assert/strict";
import { AppError } from "../errors.ts";
import { storeCall } from "./store_call.ts";

Deno.test("storeCall: a database failure is UNAVAILABLE with the store's message, never its detail", async () => {
  await assert.rejects(
    storeCall("people directory unavailable", () => Promise.reject(new Error("password=secret"))),
    (err) =>
      err instanceof AppError && err.code === "UNAVAILABLE" &&
      err.message === "people directory unavailable",
  );
});

Deno.test("storeCall: the call's own AppError passes unchanged", async () => {
  const own = new AppError("NOT_FOUND", "no such channel");
  await assert.rejects(storeCall("x unavailable", () => Promise.reject(own)), (err) => err === own);
});

Deno.test("storeCall: a call past its bound is UNAVAILABLE", async () => {
  const stalled = () => new Promise<string>((resolve) => setTimeout(() => resolve("late"), 300));
  await assert.rejects(
    storeCall("x unavailable", stalled, 50),
    (err) => err instanceof AppError && err.code === "UNAVAILABLE",
  );
  assert.equal(await storeCall("x unavailable", stalled), "late", "unbounded without a bound");
});
