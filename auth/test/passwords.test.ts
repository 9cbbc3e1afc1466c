import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { AppError } from "../../shared/errors.ts";
import { PasswordHasher } from "../src/passwords.ts";
import { PgUserStore } from "../src/users.ts";
import { WorkGate } from "../src/work_gate.ts";
import { grpcFails, PASSWORD, postJson, startTestAuth, uniqueEmail } from "./harness.ts";

Deno.test("WorkGate: at most `concurrency` run, `queue` wait, the rest are refused at once", async () => {
  const gate = new WorkGate(2, 1);
  let running = 0, peak = 0;
  const releases: (() => void)[] = [];
  const work = () =>
    gate.run(async () => {
      peak = Math.max(peak, ++running);
      await new Promise<void>((r) => releases.push(r));
      running--;
    });
  const admitted = [work(), work(), work()];
  const started = performance.now();
  await assert.rejects(work(), (err: AppError) => {
    assert.equal(err.code, "RATE_LIMITED");
    assert.equal(err.retryAfterSeconds, 1);
    return true;
  });
  assert.ok(performance.now() - started < 50, "refused without waiting");
  while (releases.length < 2) await new Promise((r) => setTimeout(r, 1));
  assert.equal(peak, 2);
  releases.splice(0).forEach((r) => r());
  while (releases.length < 1) await new Promise((r) => setTimeout(r, 1));
  releases[0]();
  await Promise.all(admitted);
  assert.equal(peak, 2);
  await gate.run(() => Promise.resolve()); // every slot came back
});

Deno.test("passwords: a hash with older scrypt parameters is upgraded at login", async () => {
  // The default cost (2^17) against a hash made with the old one (2^15).
  const a = await startTestAuth({ AUTH_SCRYPT_LOG2_N: "17" });
  try {
    const old = new PasswordHasher({ n: 2 ** 15, r: 8, p: 1 }, new WorkGate(1, 0));
    const email = uniqueEmail();
    const users = new PgUserStore(a.sql);
    await users.create(email, "old", await old.hash(PASSWORD));
    const stored = async () => (await users.byEmail(email))!.passwordHash;
    assert.match(await stored(), /^scrypt\$32768\$8\$1\$/);

    const wrong = await postJson(`${a.url}/v1/auth/login`, { email, password: "wrong password" });
    assert.equal(wrong.status, 401);
    assert.match(await stored(), /^scrypt\$32768\$/, "a wrong password upgrades nothing");

    const login = await postJson(`${a.url}/v1/auth/login`, { email, password: PASSWORD });
    assert.equal(login.status, 200);
    const upgraded = await stored();
    assert.match(upgraded, /^scrypt\$131072\$8\$1\$/);
    const again = await postJson(`${a.url}/v1/auth/login`, { email, password: PASSWORD });
    assert.equal(again.status, 200, "the upgraded hash verifies");
    assert.equal(await stored(), upgraded, "and is not rehashed again");
  } finally {
    await a.stop();
  }
});

Deno.test("passwords: hashing beyond the bound is refused at once — 429 over HTTP, RESOURCE_EXHAUSTED over gRPC", async () => {
  // One hash at a time, none waiting; 2^16 (~0.25 s) so the calls overlap.
  const a = await startTestAuth({
    AUTH_SCRYPT_LOG2_N: "16",
    AUTH_HASH_CONCURRENCY: "1",
    AUTH_HASH_QUEUE: "0",
    AUTH_THROTTLE_MAX_FAILURES: "1000",
  });
  try {
    const body = () => ({ email: uniqueEmail(), password: "wrong password" });
    const http = await Promise.all(
      Array.from({ length: 6 }, () => postJson(`${a.url}/v1/auth/login`, body())),
    );
    const statuses = http.map((r) => r.status).sort();
    assert.ok(statuses.includes(401) && statuses.includes(429), `${statuses}`);
    const busy = http.find((r) => r.status === 429)!;
    assert.equal(busy.body.error.code, "RATE_LIMITED");
    assert.equal(busy.headers.get("retry-after"), "1");

    const calls = await Promise.allSettled(
      Array.from({ length: 6 }, () => a.grpc.call("GenerateToken", body())),
    );
    const codes = calls.map((c) =>
      c.status === "rejected" ? (c.reason as grpc.ServiceError) : null
    );
    const exhausted = codes.filter((e) => e?.code === grpc.status.RESOURCE_EXHAUSTED);
    assert.ok(exhausted.length >= 1, `${codes.map((e) => e?.code)}`);
    assert.deepEqual(exhausted[0]!.metadata.get("error-code"), ["RATE_LIMITED"]);
    assert.ok(codes.some((e) => e?.code === grpc.status.UNAUTHENTICATED));
    // Register goes through the same bound.
    await grpcFails(
      Promise.all(Array.from({ length: 4 }, () => a.grpc.call("Register", body()))),
      grpc.status.RESOURCE_EXHAUSTED,
    );
  } finally {
    await a.stop();
  }
});
